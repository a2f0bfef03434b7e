"""The pages every State site carries, the API's index and documentation, and the DSFR classes
the templates use (issue 13's defects, checked without a browser)."""

from __future__ import annotations

import re
from pathlib import Path

import dsfr
import pytest
from django.test import Client

from pilotis.api.docs import endpoints
from tests.factories import UserFactory

SRC = Path(__file__).resolve().parents[2] / "src" / "pilotis"
DSFR_DIST = Path(dsfr.__file__).parent / "static" / "dsfr" / "dist"


def test_footer_links_the_legal_pages_with_the_accessibility_level(db):
    page = Client().get("/").content.decode()
    footer = page[page.index('<footer class="fr-footer"') :]
    for url, text in [
        ("/accessibilite/", "Accessibilité : non conforme"),
        ("/mentions-legales/", "Mentions légales"),
        ("/donnees-personnelles/", "Données personnelles"),
        ("/plan-du-site/", "Plan du site"),
        ("/api/v1/docs", "Documentation de l’API"),
    ]:
        assert re.search(rf'href="{re.escape(url)}">{re.escape(text)}</a>', footer), text
    assert 'href="https://www.service-public.fr"' in footer


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accessibilite/", "Déclaration d’accessibilité"),
        ("/mentions-legales/", "Mentions légales"),
        ("/donnees-personnelles/", "Données personnelles"),
        ("/plan-du-site/", "Plan du site"),
    ],
)
def test_legal_pages_answer(db, url, heading):
    response = Client().get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_statement_and_footer_state_the_same_level(db):
    page = Client().get("/accessibilite/").content.decode()
    assert "Pilotis est <strong>non conforme</strong>" in page
    assert "RGAA" in page and "Défenseur des droits" in page


def test_api_root_answers_a_json_index(db):
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    index = response.json()
    assert index["openapi"] == "http://testserver/api/v1/openapi.json"
    assert index["documentation"] == "http://testserver/api/v1/docs"
    assert {"method": "GET", "path": "/api/v1/plans", "summary": "Plans visibles"} in (
        index["endpoints"]
    )
    assert any(e["method"] == "PATCH" for e in index["endpoints"])


def test_api_documentation_is_a_french_page_of_the_site(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="fr"' in page and "<h1>Documentation de l’API</h1>" in page
    assert "swagger" not in page.lower()
    assert "Fiches du plan" in page and "<code>/api/v1/plans/{slug}/fiches</code>" in page
    assert "Paramètres de « Fiches du plan »" in page


def test_endpoints_reads_operations_from_a_schema():
    schema = {
        "paths": {
            "/a": {
                "get": {
                    "summary": "Lire A",
                    "tags": ["T"],
                    "operationId": "a",
                    "parameters": [{"name": "q", "in": "query", "required": False}],
                    "responses": {"404": {}, "200": {}},
                },
                "parameters": [],
            }
        }
    }
    (row,) = endpoints(schema)
    assert row["method"] == "GET" and row["tag"] == "T"
    assert row["parameters"][0]["where"] == "paramètre d’adresse"
    assert row["statuses"] == ["200", "404"]


def test_account_links_to_tokens_and_api_documentation(db):
    client = Client()
    client.force_login(UserFactory())
    page = client.get("/comptes/").content.decode()
    assert 'href="/comptes/jetons/">Mes jetons d’API</a>' in page
    assert 'href="/api/v1/docs">Documentation de l’API</a>' in page


# --- The DSFR classes the templates use exist in the version shipped ----------------------------


def _templates():
    return sorted(SRC.rglob("templates/**/*.html"))


def test_every_icon_used_exists_in_the_shipped_dsfr():
    css = (DSFR_DIST / "dsfr.min.css").read_text() + (
        DSFR_DIST / "utility" / "icons" / "icons.min.css"
    ).read_text()
    used = {
        (path.name, icon)
        for path in _templates()
        for icon in re.findall(r"\bfr-icon-[a-z0-9-]+", path.read_text())
    }
    assert used
    missing = [
        (name, icon) for name, icon in used if f".{icon}:" not in css and f".{icon}," not in css
    ]
    assert missing == []


def test_icon_buttons_with_text_sit_in_a_group_that_keeps_their_text():
    # DSFR draws an icon button in a plain .fr-btns-group as a 40 px square: its text is hidden.
    clipped = []
    for path in _templates():
        text = path.read_text()
        for group in re.finditer(r'<ul class="(fr-btns-group[^"]*)"(.*?)</ul>', text, re.S):
            classes, body = group.groups()
            if "fr-header__tools" in text[: group.start()][-300:]:
                continue  # the header's tool links are styled by the header
            if re.search(r'class="fr-btn[^"]*fr-icon-', body) and "--icon-" not in classes:
                clipped.append(f"{path.name}:{text[: group.start()].count(chr(10)) + 1}")
    assert clipped == []


def test_members_menu_item_stays_on_follow_up_pages(db):
    from pilotis.accounts.models import Role
    from tests.followup.conftest import build_carcassonne, member

    plan = build_carcassonne()
    client = Client()
    client.force_login(member(plan, Role.COORDINATOR))
    for url in (f"/plans/{plan.slug}/", f"/plans/{plan.slug}/suivi/"):
        assert f'href="/plans/{plan.slug}/membres/"' in client.get(url).content.decode(), url


def test_date_fields_are_typed_jj_mm_aaaa_whatever_the_browser_language(db):
    from datetime import date, timedelta

    from django.utils import timezone

    from pilotis.accounts.models import Role
    from pilotis.followup import services
    from pilotis.followup.models import Campaign
    from tests.followup.conftest import build_carcassonne, member

    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR)
    services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=5), opened_by=coordinator)
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    field = re.search(r'<input[^>]*name="deadline"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'inputmode="numeric"' in field  # no browser date picker
    day = timezone.localdate() + timedelta(days=40)
    assert f'value="{day:%d/%m/%Y}"' not in field
    client.post(f"/plans/{plan.slug}/suivi/1/reglages/", {"deadline": day.strftime("%d/%m/%Y")})
    assert Campaign.objects.get(plan=plan, year=1).deadline == day
    page = client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    assert f'value="{day:%d/%m/%Y}"' in page
    assert isinstance(day, date)
