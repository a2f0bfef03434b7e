"""Writing a fiche's yearly report through the API: the issue's CAF scenario, the follow-up
form's validation, the optimistic version check (409), and session use with CSRF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from pilotis.followup import services
from pilotis.followup.models import ActionStatus, FicheReport, IndicatorValue
from tests.api.conftest import Api, World


def _report(world: World, number: str) -> FicheReport:
    return FicheReport.objects.get(campaign=world.campaign, fiche__number=number)


def test_caf_pilot_writes_fiche_2_with_a_token_but_not_fiche_3(world: World):
    """Issue 3: the CAF pilot updates fiche 2's follow-up through the API, not fiche 3's."""
    api = world.api("caf_pilot")
    current = api.get(world.report_url(2)).json()
    assert current["can_edit"] is True
    assert [a["letter"] for a in current["actions"]] == ["A", "B"]  # due in year 2
    indicator = next(i for i in current["indicators"] if i["text"] == "Bénéficiaires")

    response = api.patch(
        world.report_url(2),
        {
            "version": current["version"],
            "progress_rate": 60,
            "objective_reached": True,
            "obstacles": "Peu de salles disponibles.",
            "comment": "Deux cycles de cours au lieu de trois.",
            "actions": [
                {"letter": "A", "done": "yes", "comment": "Programme déployé."},
                {"letter": "b", "done": "no"},
            ],
            "indicators": [{"id": indicator["id"], "value_number": "42", "unit": "familles"}],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == current["version"] + 1
    assert (body["progress_rate"], body["objective_reached"]) == (60, True)
    assert body["status"] == "in_progress"
    assert body["updated_by"] == "Camille Caf"

    report = _report(world, "2")
    assert report.progress_rate == 60
    assert report.obstacles == "Peu de salles disponibles."
    assert report.updated_by == world.users["caf_pilot"]
    done = dict(ActionStatus.objects.filter(report=report).values_list("action__letter", "done"))
    assert done == {"A": "yes", "B": "no"}
    value = IndicatorValue.objects.get(report=report)
    assert (value.value_number, value.unit) == (Decimal("42"), "familles")

    refused = api.patch(world.report_url(3), {"version": 1, "progress_rate": 20})
    assert refused.status_code == 403
    assert "pilotes" in refused.json()["detail"]
    assert _report(world, "3").progress_rate is None


def test_only_the_fields_sent_change(world: World):
    api = world.api("caf_pilot")
    first = api.patch(world.report_url(2), {"version": 1, "comment": "Premier point."}).json()
    second = api.patch(world.report_url(2), {"version": first["version"], "progress_rate": 40})
    assert second.status_code == 200
    assert second.json()["comment"] == "Premier point."
    cleared = api.patch(world.report_url(2), {"version": 3, "progress_rate": None})
    assert cleared.json()["progress_rate"] is None


def test_submit_needs_the_rate_and_every_action_due_as_on_the_page(world: World):
    api = world.api("caf_pilot")
    response = api.patch(
        world.report_url(2),
        {"version": 1, "intent": "submit", "actions": [{"letter": "A", "done": "yes"}]},
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"progress_rate", "actions.B.done"}
    assert body["errors"]["progress_rate"] == [
        "Indiquez le taux d’avancement pour transmettre la fiche."
    ]
    ok = api.patch(
        world.report_url(2),
        {
            "version": 1,
            "intent": "submit",
            "progress_rate": 100,
            "actions": [{"letter": "A", "done": "yes"}, {"letter": "B", "done": "yes"}],
        },
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "submitted"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"progress_rate": 50}, "progress_rate"),
        ({"progress_rate": "beaucoup"}, "progress_rate"),
        ({"objective_reached": "peut-être"}, "objective_reached"),
        ({"actions": [{"letter": "C", "done": "yes"}]}, "actions.0.letter"),
        ({"actions": [{"letter": "A", "done": "partly"}]}, "actions.A.done"),
        ({"actions": [{"letter": "A", "done": "sans doute"}]}, "actions.0.done"),
        ({"indicators": [{"id": 999999, "value_number": 1}]}, "indicators.0.id"),
        ({"obstacles": "nul\x00"}, "obstacles"),
        ({"inconnu": 1}, "inconnu"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(world: World, payload, field):
    response = world.api("caf_pilot").patch(world.report_url(2), {"version": 1, **payload})
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["detail"] == "Données invalides : voir les champs en erreur."
    assert field in body["errors"], body["errors"]
    assert _report(world, "2").version == 1


def test_number_and_text_together_are_refused_like_on_the_page(world: World):
    indicator = world.plan.fiches.get(number="2").indicators.first()
    response = world.api("caf_pilot").patch(
        world.report_url(2),
        {"version": 1, "indicators": [{"id": indicator.pk, "value_number": 3, "value_text": "x"}]},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        f"indicators.{indicator.pk}.value_text": [
            "Saisissez soit un nombre, soit un texte, pas les deux."
        ]
    }


def test_too_many_digits_are_refused(world: World):
    indicator = world.plan.fiches.get(number="2").indicators.first()
    response = world.api("caf_pilot").patch(
        world.report_url(2),
        {"version": 1, "indicators": [{"id": indicator.pk, "value_number": "1.123456"}]},
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["indicators.0.value_number"]


# Found by the fuzz run (tests/api/test_fuzz.py): the schema let any text through, and a float
# such as 0.1 + 0.2 arrived with 17 decimals; a huge float made the rounding fail (500).


def test_a_json_number_is_kept_to_the_ten_thousandth(world: World):
    indicator = world.plan.fiches.get(number="2").indicators.first()
    response = world.api("caf_pilot").patch(
        world.report_url(2),
        {"version": 1, "indicators": [{"id": indicator.pk, "value_number": 0.1 + 0.2}]},
    )
    assert response.status_code == 200, response.content
    assert IndicatorValue.objects.get(indicator=indicator).value_number == Decimal("0.3")


@pytest.mark.parametrize("number", ["1e3", " 12", "", "12,5", 1e300, -1e14, 10**20])
def test_a_number_outside_the_schema_is_a_400(world: World, number):
    indicator = world.plan.fiches.get(number="2").indicators.first()
    response = world.api("caf_pilot").patch(
        world.report_url(2),
        {"version": 1, "indicators": [{"id": indicator.pk, "value_number": number}]},
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["indicators.0.value_number"]


def test_malformed_json_is_a_400(world: World):
    api = world.api("caf_pilot")
    response = api.client.patch(
        f"/api/v1/{world.report_url(2)}",
        data="{pas du json",
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 400
    message = "Le corps de la requête n'est pas un JSON valide."
    # The shape of every 400, "errors" included (found by the fuzz run).
    assert response.json() == {"detail": message, "errors": {"__all__": [message]}}


def test_second_writer_gets_409_listing_what_changed(world: World):
    """Two pilots read version 1; the second save is refused with what the first changed."""
    caf, coordinator = world.api("caf_pilot"), world.api("coordinator")
    read_by_caf = caf.get(world.report_url(2)).json()
    read_by_coordinator = coordinator.get(world.report_url(2)).json()

    first = coordinator.patch(
        world.report_url(2),
        {
            "version": read_by_coordinator["version"],
            "progress_rate": 80,
            "actions": [{"letter": "B", "done": "yes"}],
        },
    )
    assert first.status_code == 200

    second = caf.patch(
        world.report_url(2),
        {
            "version": read_by_caf["version"],
            "fingerprint": read_by_caf["fingerprint"],
            "comment": "Mon commentaire",
        },
    )
    assert second.status_code == 409
    body = second.json()
    assert body["current_version"] == 2
    assert "version 1" in body["detail"]
    changed = {c["field"]: c["value"] for c in body["changed_fields"]}
    assert changed == {"progress_rate": "80\u00a0%", "actions.B.done": "Oui"}
    report = _report(world, "2")
    assert (report.version, report.comment, report.progress_rate) == (2, "", 80)

    # Without the fingerprint: the fields sent whose stored value is not the one sent.
    blind = caf.patch(world.report_url(2), {"version": 1, "progress_rate": 20})
    assert blind.status_code == 409
    assert [c["field"] for c in blind.json()["changed_fields"]] == ["progress_rate"]

    # Read again, then the save goes through.
    again = caf.patch(world.report_url(2), {"version": 2, "comment": "Mon commentaire"})
    assert again.status_code == 200
    assert again.json()["progress_rate"] == 80


def test_frozen_campaign_and_validated_report_are_read_only(world: World):
    caf = world.api("caf_pilot")
    report = _report(world, "2")
    services.set_status(report, FicheReport.Status.VALIDATED, world.users["coordinator"])
    response = caf.patch(world.report_url(2), {"version": report.version, "comment": "x"})
    assert response.status_code == 403
    assert "validé" in response.json()["detail"]

    services.freeze_campaign(world.campaign)
    response = caf.patch(world.report_url(4), {"version": 1, "comment": "x"})
    assert response.status_code == 403
    assert "figée" in response.json()["detail"]
    assert caf.get(world.report_url(4)).json()["can_edit"] is False


def test_validation_is_for_coordinators(world: World):
    payload = {
        "version": 1,
        "intent": "validate",
        "progress_rate": 100,
        "actions": [{"letter": "A", "done": "yes"}, {"letter": "B", "done": "yes"}],
    }
    refused = world.api("caf_pilot").patch(world.report_url(2), payload)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Seule la coordination du plan valide un suivi."
    ok = world.api("coordinator").patch(world.report_url(2), payload)
    assert ok.status_code == 200
    assert ok.json()["status"] == "validated"


def test_unknown_campaign_or_fiche_is_404(world: World):
    api = world.api("coordinator")
    assert api.get(world.report_url(2, year=5)).status_code == 404
    assert api.get(world.report_url(99)).status_code == 404
    assert api.get(f"plans/{world.plan.slug}/campaigns/0/reports/2").status_code == 400


def test_campaigns_list(world: World):
    body = world.api("copil").get(f"plans/{world.plan.slug}/campaigns").json()
    assert body["count"] == 1
    assert body["items"][0]["year"] == 2
    assert body["items"][0]["calendar_year"] == 2025
    assert body["items"][0]["status"] == "open"


# --- The browser session, for Pilotis' own pages --------------------------------------------------


def test_session_write_needs_the_csrf_token(world: World):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["caf_pilot"])
    api = Api(client=client)
    assert api.get(world.report_url(2)).status_code == 200

    refused = api.patch(world.report_url(2), {"version": 1, "comment": "par la session"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    client.get("/comptes/jetons/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    ok = api.patch(
        world.report_url(2),
        {"version": 1, "comment": "par la session"},
        headers={"X-CSRFToken": token},
    )
    assert ok.status_code == 200, ok.json()
    assert _report(world, "2").comment == "par la session"


def test_token_write_needs_no_csrf_token(world: World):
    client = Client(enforce_csrf_checks=True)
    api = Api(world.api("caf_pilot").headers["Authorization"].split()[1], client=client)
    assert api.patch(world.report_url(2), {"version": 1, "comment": "script"}).status_code == 200
