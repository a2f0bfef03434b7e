"""The report pages: content, charts with their tables, rights, pinned query counts."""

from __future__ import annotations

import re

import pytest

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.reports.loader import QUERIES
from tests.factories import UserFactory
from tests.reports.conftest import build_followed_plan
from tests.test_security import INLINE

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# Session, user and the user's memberships (cached for the request, see tests/followup), then the
# menu's check of the legacy coordinators group for anyone but a coordinator.
SIGNED_IN = 3
MENU_GROUP_CHECK = 1


def annual_url(plan, year=1, fmt=None) -> str:
    return f"/plans/{plan.slug}/suivi/{year}/rapport/" + (f"{fmt}/" if fmt else "")


def member(plan, role, *keys):
    user = UserFactory()
    roles.grant(user, plan, role, plan.organisations.filter(key__in=keys))
    return user


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace(NBSP, " ").split())


def test_annual_report_page(client, plan, reader):
    client.force_login(reader)
    response = client.get(annual_url(plan))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    assert "Rapport annuel d’évaluation — année 1 (2024)" in text
    assert "Taux d’avancement du contrat 50,0 % 2 fiches renseignées sur 3" in text
    assert "Fiches transmises 2 sur 3 1 fiche en retard" in text
    assert "Avancement par ambition" in text and "Avancement par objectif général" in text
    # Fiche 3 is late; fiche 2 carries the COPIL's decision.
    assert "Fiches dont le suivi n’est pas transmis (1)" in text
    assert "Renforcement — Forte demande des familles." in text
    assert "Fiche n°2 — Soutenir la parentalité" in text
    assert "Difficulté à mobiliser les pères." in text
    assert "Données de démonstration" not in text
    # A table of contents leads to each part and to each fiche (issue 13: the page is long).
    toc = html[
        html.index('<nav class="fr-summary') : html.index("</nav>", html.index("fr-summary"))
    ]
    for anchor in ("#chiffres-cles", "#organisations", "#en-retard", "#decisions", "#fiche-2"):
        assert f'href="{anchor}"' in toc and f'id="{anchor[1:]}"' in html, anchor
    for pattern, what in INLINE:  # the SVG charts pass the Content-Security-Policy as they are
        assert not pattern.search(html), what


def test_every_chart_is_followed_by_its_data_table(client, plan, reader):
    client.force_login(reader)
    html = client.get(annual_url(plan)).content.decode()
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 2  # ambitions, general objectives
    for labelledby in charts:
        title_id, desc_id = labelledby.split()
        assert f'<title id="{title_id}">' in html and f'<desc id="{desc_id}">' in html
    assert html.count("Données du graphique : ") == 2
    table = html.split("Données du graphique : Taux d’avancement par ambition")[1].split(
        "</table>"
    )[0]
    assert re.search(
        r'<th scope="row">1\. Agir pour des comportements favorables en santé</th>\s*<td>50,0'
        + NBSP
        + "%</td>",
        table,
    )


def test_final_evaluation_page(client, plan, reader):
    client.force_login(reader)
    response = client.get(f"/plans/{plan.slug}/evaluation-finale/")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Évaluation finale du contrat" in text
    assert "Ensemble du contrat 50,0 % 70,0 % — — —" in text  # the chart's data table
    assert "n°2 — Soutenir la parentalité 60,0 % 80,0 % Pas de campagne" in text
    assert "De 60,0 % (année 1) à 80,0 % (année 2)" in text
    assert response.content.decode().count('role="img"') == 1


def test_campaign_dashboard_links_to_the_reports(client, plan, reader):
    client.force_login(reader)
    html = client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    assert f'href="{annual_url(plan)}"' in html
    for fmt in ("pdf", "docx", "xlsx"):
        assert f'href="{annual_url(plan, fmt=fmt)}"' in html
    assert f'href="/plans/{plan.slug}/evaluation-finale/"' in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.COPIL, Role.PILOT])
def test_readers_of_every_report_get_the_reports(client, plan, role):
    client.force_login(member(plan, role, "caf"))
    assert client.get(annual_url(plan)).status_code == 200
    assert client.get(annual_url(plan, fmt="xlsx")).status_code == 200
    assert client.get(f"/plans/{plan.slug}/evaluation-finale/").status_code == 200


def test_refusals(client, plan):
    url = annual_url(plan)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    # A partner sees the follow-up of their fiches only: not the report of every fiche.
    partner = member(plan, Role.PARTNER, "ars")
    client.force_login(partner)
    assert client.get(url).status_code == 403
    assert client.get(annual_url(plan, fmt="pdf")).status_code == 403
    assert f'href="{url}"' not in client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    # Someone outside the plan: 403 on a published plan, 404 when its existence is hidden.
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    plan.published = False
    plan.save()
    assert client.get(url).status_code == 404
    assert client.get(f"/plans/{plan.slug}/evaluation-finale/").status_code == 404


def test_missing_year_and_unknown_format_are_404(client, plan, reader):
    client.force_login(reader)
    assert client.get(annual_url(plan, year=3)).status_code == 404
    assert client.get(annual_url(plan, fmt="odt")).status_code == 404
    assert client.get(f"/plans/{plan.slug}/evaluation-finale/xlsx/").status_code == 404


@pytest.mark.parametrize("n_fiches", [3, 9])
def test_report_page_query_count_is_constant(client, django_assert_num_queries, n_fiches):
    plan = build_followed_plan(n_fiches=n_fiches)
    client.force_login(member(plan, Role.COPIL))
    # The plan with its perimeter, then the loader's queries, whatever the number of fiches.
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 1 + QUERIES):
        response = client.get(annual_url(plan))
    assert response.status_code == 200
    assert len(response.context["report"].fiches) == n_fiches
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 1 + QUERIES):
        assert client.get(f"/plans/{plan.slug}/evaluation-finale/").status_code == 200
