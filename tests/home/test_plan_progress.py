"""The follow-up on the plan overview (issue 13.2): per fiche and per section, links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pilotis.accounts.models import Role
from pilotis.followup import services
from pilotis.followup.models import Campaign, Decision, FicheReport
from pilotis.plans.progress import FicheProgress, PlanProgress, rolled_up_rate
from tests.followup.conftest import build_carcassonne, member

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode().replace("&nbsp;", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_rolled_up_rate_is_the_mean_of_the_fiches_that_have_one():
    progress = PlanProgress(
        fiches={1: FicheProgress(rate=40), 2: FicheProgress(rate=80), 3: FicheProgress()}
    )
    assert rolled_up_rate([1, 2, 3], progress) == 60
    assert rolled_up_rate([3, 4], progress) is None


def test_overview_shows_each_fiches_rate_state_and_decision(django_assert_max_num_queries):
    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR)
    year1 = services.open_campaign(plan, 1, timezone.localdate(), opened_by=coordinator)
    FicheReport.objects.filter(campaign=year1, fiche__number="2").update(
        status="validated", progress_rate=40
    )
    Campaign.objects.filter(pk=year1.pk).update(status=Campaign.Status.VALIDATED)
    Decision.objects.create(
        plan=plan,
        campaign=year1,
        fiche=plan.fiches.get(number="2"),
        kind="strengthen",
        reason="Forte demande",
    )
    services.open_campaign(plan, 2, timezone.localdate() + timedelta(days=9), opened_by=coordinator)
    client = Client()
    client.force_login(coordinator)
    with django_assert_max_num_queries(25):
        page = text(client.get(f"/plans/{plan.slug}/"))
    assert "Campagne en cours : année 2 (2025), ouverte" in page
    assert re.search(
        r"Soutenir la parentalité .*? 40 % \(année 1 \(2024\)\) À faire Renforcement", page
    )
    assert "Avancement moyen des fiches : 40 %" in page
    assert "Rapport annuel de l’année 2 (2025)" in page and "Évaluation finale" in page

    anonymous = Client()
    plan.published = True
    plan.save(update_fields=["published"])
    assert "Dernier avancement" not in text(anonymous.get(f"/plans/{plan.slug}/"))


def test_filter_rows_keeps_rows_matching_every_filter():
    from pilotis.plans.views_table import filter_rows

    rows = [
        {
            "sections": {"A1"},
            "pilots": {"caf"},
            "partners": {"ars"},
            "state": "À faire",
            "decision": "",
        },
        {
            "sections": {"A2"},
            "pilots": {"agglo"},
            "partners": {"caf"},
            "state": "Transmise",
            "decision": "Arrêt",
        },
    ]
    assert filter_rows(rows, {"pilote": "caf"}) == rows[:1]
    assert filter_rows(rows, {"partenaire": "caf"}) == rows[1:]
    assert filter_rows(rows, {"section": "A2", "decision": "Arrêt"}) == rows[1:]
    assert filter_rows(rows, {"etat": "Validée"}) == []
    assert filter_rows(rows, {"pilote": ""}) == rows


@pytest.mark.parametrize("n_extra", [0, 6])
def test_plan_table_filters_by_pilot_with_constant_queries(django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra=n_extra)
    coordinator = member(plan, Role.COORDINATOR)
    services.open_campaign(plan, 1, timezone.localdate(), opened_by=coordinator)
    client = Client()
    client.force_login(coordinator)
    client.get("/")  # the session, read once per request, is counted below
    with django_assert_num_queries(QUERIES):
        page = text(client.get(f"/plans/{plan.slug}/tableau/?pilote=caf"))
    assert "n°2 — Soutenir la parentalité" in page
    assert "n°3 —" not in page and "n°1 —" not in page  # the CAF is only a partner of fiche 3
    assert f"1 fiche sur {3 + n_extra} — suivi : année 1 (2024), ouverte" in page
    page = text(client.get(f"/plans/{plan.slug}/tableau/?partenaire=caf"))
    assert "n°3 — Développer l'offre de soins de proximité" in page and "n°2 —" not in page


# session, user, memberships (plan and follow-up rights), plan, sections, fiches, their roles,
# campaigns, reports, decisions: the same whatever the number of fiches.
QUERIES = 11


def test_actions_grouped_by_contract_year():
    from types import SimpleNamespace as A

    from pilotis.plans.timeline import by_contract_year

    a, b, c = A(deadline_years=[1, 2]), A(deadline_years=[7]), A(deadline_years=[])
    groups = by_contract_year([a, b, c], duration=5, start_year=2024)
    assert [g.label for g in groups][:2] == ["Année 1 (2024)", "Année 2 (2025)"]
    assert [g.year for g in groups] == [1, 2, 3, 4, 5, 6, 7, None]
    assert groups[0].actions == [a] and groups[1].actions == [a] and groups[6].actions == [b]
    assert groups[-1].label == "Sans échéance précisée" and groups[-1].actions == [c]


@pytest.mark.parametrize("n_extra", [0, 5])
def test_timeline_page_says_what_is_due_when(django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra=n_extra)
    plan.published = True
    plan.save(update_fields=["published"])
    client = Client()
    with django_assert_num_queries(2):  # the plan, its actions with their fiches
        page = text(client.get(f"/plans/{plan.slug}/calendrier/"))
    year1 = page.split("Année 1 (2024) ", 2)[2].split("Année 2 (2025)")[0]
    assert "Fiche n°2 , action A : Déploiement du programme de soutien aux familles" in year1
    assert "Fiche n°3 , action A : Ouvrir une maison de santé" in year1
    assert "Former les animateurs" not in year1  # fiche 1's action A is due in years 2 and 3
    assert (
        "Sans échéance précisée" in page
        and "Groupe de parole" in page.split("Sans échéance précisée")[-1]
    )


def test_fiche_page_shows_its_trajectory_over_the_years():
    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR)
    year1 = services.open_campaign(plan, 1, timezone.localdate(), opened_by=coordinator)
    FicheReport.objects.filter(campaign=year1, fiche__number="2").update(
        status="validated", progress_rate=40
    )
    Decision.objects.create(
        plan=plan,
        campaign=year1,
        fiche=plan.fiches.get(number="2"),
        kind="continue",
        reason="Bonne dynamique",
    )
    services.open_campaign(plan, 2, timezone.localdate(), opened_by=coordinator)
    client = Client()
    client.force_login(coordinator)
    page = text(client.get(f"/plans/{plan.slug}/fiches/2/"))
    assert "Suivi année après année" in page
    assert (
        "Année 1 (2024) Validée par la coordination 40 %" in page
        or "Année 1 (2024) Validée" in page
    )
    assert "Poursuite — Bonne dynamique" in page
    assert "Année 2 (2025) À faire —" in page
    plan.published = True
    plan.save(update_fields=["published"])
    assert "Suivi année après année" not in text(Client().get(f"/plans/{plan.slug}/fiches/2/"))
