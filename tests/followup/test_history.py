"""Follow-up changes in the fiche's history (issue 3): who, when, before and after, whether made
in the page, through the API with a token, or by an erratum."""

from __future__ import annotations

import pytest
from django.test import Client

from pilotis.followup import copil, services
from pilotis.followup.models import ActionStatus, FicheReport, IndicatorValue
from tests.api.conftest import build_world
from tests.followup.test_views import text

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


def history_page(plan, number: str, reader) -> str:
    client = Client()
    client.force_login(reader)
    response = client.get(f"/plans/{plan.slug}/fiches/{number}/historique/")
    assert response.status_code == 200
    return text(response)


def test_a_pilots_change_in_the_page_is_in_the_fiche_history(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    url = f"/plans/{plan.slug}/suivi/1/fiches/2/"
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data |= {"progress_rate": "60", "objective_reached": "yes", "obstacles": "Peu de salles."}
    row = form.action_rows()[0]
    data[row["done"].html_name] = "yes"
    data[form.indicator_rows()[0]["number"].html_name] = "42"
    assert client.post(url, data).status_code == 302

    page = history_page(plan, "2", people.coordinator)
    assert "Suivi de l’année 1 (2024)" in page and "Paule Parent" in page
    assert f"Taux d’avancement — 60{NBSP}%" in page
    assert "Atteinte de l’objectif — Oui" in page
    assert "Suivi de l’année 1 (2024) — action A" in page
    assert "Suivi de l’année 1 (2024) — indicateur « Nombre de familles accompagnées »" in page
    assert "Valeur (nombre) — 42" in page
    # The opening of the campaign is there too, by the coordinator who opened it.
    assert "Ouverture de la campagne de l’année 1 (2024)" in page

    # A second save shows the value before and after.
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields} | {"progress_rate": "80"}
    assert client.post(url, data).status_code == 302
    page = history_page(plan, "2", people.copil)
    assert f"Taux d’avancement 60{NBSP}% 80{NBSP}%" in page


def test_a_change_through_the_api_is_recorded_with_the_token_owner(db):
    world = build_world()
    api = world.api("caf_pilot")
    current = api.get(world.report_url(2)).json()
    response = api.patch(world.report_url(2), {"version": current["version"], "progress_rate": 40})
    assert response.status_code == 200
    report = FicheReport.objects.get(campaign=world.campaign, fiche__number="2")
    latest = report.history.latest()
    assert latest.history_user == world.users["caf_pilot"]
    assert latest.progress_rate == 40
    page = history_page(world.plan, "2", world.users["coordinator"])
    assert "Camille Caf" in page and f"40{NBSP}%" in page


def test_rows_written_by_a_save_are_recorded_with_its_author(plan, people, campaign):
    report = campaign.reports.get(fiche__number="2")
    fiche = report.fiche
    actions = list(fiche.actions.filter(letter__in=["A", "B"]).order_by("letter"))
    indicators = list(fiche.indicators.order_by("pk"))
    data = services.ReportData(
        progress_rate=20,
        objective_reached=None,
        obstacles="",
        comment="",
        actions={a.pk: ("yes", "") for a in actions},
        indicators={
            i.pk: {
                "value_number": None,
                "value_text": "en hausse",
                "unit": "",
                "baseline": "",
                "target": "",
            }
            for i in indicators
        },
    )
    services.save_report(
        report,
        data,
        version=1,
        user=people.agglo_pilot,
        intent=services.DRAFT,
        actions=actions,
        indicators=indicators,
        statuses={},
        values={},
    )
    users = {h.history_user for h in ActionStatus.history.all()}
    users |= {h.history_user for h in IndicatorValue.history.all()}
    assert users == {people.agglo_pilot}


def test_an_erratum_is_in_the_history_with_its_reason(plan, people, campaign):
    services.freeze_campaign(campaign)
    copil.validate_campaign(
        campaign,
        validated_on=campaign.deadline.today(),
        comment="",
        user=people.copil,
        default_continue=True,
    )
    campaign.refresh_from_db()
    report = campaign.reports.select_related("fiche").get(fiche__number="2")
    copil.record_erratum(
        campaign,
        report,
        key="progress_rate",
        raw_value="40",
        reason="Bilan CAF corrigé.",
        user=people.copil,
    )
    page = history_page(plan, "2", people.coordinator)
    assert "Erratum : Bilan CAF corrigé." in page and "Colette Copil" in page
