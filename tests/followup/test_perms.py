"""Who may do what in the follow-up: perms.py, then every route against every role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from pilotis.followup import perms, services
from pilotis.followup.models import Campaign, FicheReport
from tests.followup.conftest import member

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "outsider",
    "partner",
    "copil",
    "caf_copil",
    "agglo_pilot",
    "caf_pilot",
    "coordinator",
    "admin",
]


def user_of(people, who: str):
    return AnonymousUser() if who == "anonymous" else getattr(people, who)


def report(campaign, number: str) -> FicheReport:
    found = campaign.reports.select_related("campaign", "fiche").get(fiche__number=number)
    return found


# --- perms.py -----------------------------------------------------------------------------------


def test_the_caf_pilot_edits_fiche_2_and_not_fiche_3(plan, people, campaign):
    """Issue 3: a pilot of the CAF (co-pilot of fiche 2, partner of fiche 3) edits fiche 2 only."""
    two, three = report(campaign, "2"), report(campaign, "3")
    assert perms.can_edit_report(people.caf_pilot, two)
    assert not perms.can_edit_report(people.caf_pilot, three)
    assert perms.can_edit_report(people.agglo_pilot, three)
    assert not perms.can_edit_report(people.agglo_pilot, two)
    # The CAF as a COPIL member, or a partner, edits nothing.
    assert not perms.can_edit_report(people.caf_copil, two)
    assert not perms.can_edit_report(people.partner, two)
    assert not perms.can_edit_report(people.copil, two)
    assert perms.can_edit_report(people.coordinator, three)
    assert perms.can_edit_report(people.admin, three)
    assert not perms.can_edit_report(AnonymousUser(), two)
    assert not perms.can_edit_report(None, two)
    # Only the coordination validates.
    assert not perms.can_validate_report(people.caf_pilot, two)
    assert perms.can_validate_report(people.coordinator, two)
    assert perms.can_validate_report(people.admin, two)


def test_nobody_edits_a_validated_report_or_a_frozen_campaign(plan, people, campaign):
    two = report(campaign, "2")
    two.status = FicheReport.Status.VALIDATED
    assert not perms.can_edit_report(people.caf_pilot, two)
    assert not perms.can_edit_report(people.coordinator, two)
    assert not perms.can_validate_report(people.coordinator, two)
    assert perms.can_reopen_report(people.coordinator, two)
    assert not perms.can_reopen_report(people.caf_pilot, two)
    two.status = FicheReport.Status.SUBMITTED
    assert perms.can_edit_report(people.caf_pilot, two)  # until validated, pilots may correct
    campaign.status = Campaign.Status.FROZEN
    two.campaign = campaign
    for user in (people.caf_pilot, people.coordinator, people.admin):
        assert not perms.can_edit_report(user, two)
        assert not perms.can_validate_report(user, two)
        assert not perms.can_freeze(user, campaign)
        assert not perms.can_change_campaign(user, campaign)


def test_plan_level_rights(plan, people, campaign):
    for who in ["partner", "copil", "caf_copil", "agglo_pilot", "caf_pilot", "coordinator"]:
        assert perms.can_view_followup(user_of(people, who), plan), who
    assert perms.can_view_followup(people.admin, plan)
    assert not perms.can_view_followup(people.outsider, plan)
    assert not perms.can_view_followup(AnonymousUser(), plan)
    for who in ROLES:
        allowed = who in ("coordinator", "admin")
        user = user_of(people, who)
        assert perms.can_open_campaign(user, plan) is allowed, who
        assert perms.can_freeze(user, campaign) is allowed, who
        assert perms.can_change_campaign(user, campaign) is allowed, who
    assert perms.has_fiches_to_follow(people.caf_pilot)
    assert not perms.has_fiches_to_follow(people.coordinator)


def test_partners_read_the_reports_of_the_fiches_naming_their_organisation(plan, people, campaign):
    agglo_partner = member(plan, "partner", "carcassonne-agglo")
    assert perms.can_view_report(agglo_partner, report(campaign, "3"))
    assert not perms.can_view_report(agglo_partner, report(campaign, "2"))
    assert perms.can_view_report(people.partner, report(campaign, "2"))  # the ARS everywhere
    for who in ["copil", "agglo_pilot", "caf_pilot", "coordinator", "admin"]:
        assert perms.can_view_report(user_of(people, who), report(campaign, "1")), who
    assert not perms.can_view_report(people.outsider, report(campaign, "1"))


# --- Every route, every role --------------------------------------------------------------------

LOGIN = "login"

# (route, expected per role in ROLES order). "ok" is the success status of the route.
MATRIX = {
    "campaigns": [LOGIN, 403, 200, 200, 200, 200, 200, 200, 200],
    "open_campaign": [LOGIN, 403, 403, 403, 403, 403, 403, 302, 302],
    "dashboard": [LOGIN, 403, 200, 200, 200, 200, 200, 200, 200],
    "view_report": [LOGIN, 403, 200, 200, 200, 200, 200, 200, 200],
    "edit_report": [LOGIN, 403, 403, 403, 403, 403, 302, 302, 302],
    "validate_report": [LOGIN, 403, 403, 403, 403, 403, 403, 302, 302],
    "campaign_settings": [LOGIN, 403, 403, 403, 403, 403, 403, 302, 302],
    "freeze": [LOGIN, 403, 403, 403, 403, 403, 403, 302, 302],
}
CASES = [
    (route, who, expected)
    for route, row in MATRIX.items()
    for who, expected in zip(ROLES, row, strict=True)
]


def request(client, route: str, plan, campaign):
    base = f"/plans/{plan.slug}/suivi/"
    fiche = f"{base}1/fiches/2/"
    letters = {a.letter: a.pk for a in plan.fiches.get(number="2").actions.all()}
    complete = {
        "version": "1",
        "progress_rate": "60",
        f"action_{letters['A']}_done": "yes",
        f"action_{letters['B']}_done": "no",
    }
    match route:
        case "campaigns":
            return client.get(base)
        case "open_campaign":
            return client.post(base, {"year": "2", "deadline": "2099-01-31"})
        case "dashboard":
            return client.get(f"{base}1/")
        case "view_report":
            return client.get(fiche)
        case "edit_report":
            return client.post(fiche, complete | {"intent": "draft"})
        case "validate_report":
            return client.post(fiche, complete | {"intent": "validate"})
        case "campaign_settings":
            return client.post(f"{base}1/reglages/", {"deadline": "2099-02-28"})
        case "freeze":
            return client.post(f"{base}1/figer/")


def effect(route: str, campaign) -> bool:
    """Whether the write of `route` happened."""
    campaign.refresh_from_db()
    two = campaign.reports.get(fiche__number="2")
    return {
        "open_campaign": Campaign.objects.filter(plan=campaign.plan, year=2).exists(),
        "edit_report": two.progress_rate == 60 and two.status == "in_progress",
        "validate_report": two.status == "validated",
        "campaign_settings": campaign.deadline.isoformat() == "2099-02-28",
        "freeze": campaign.status == "frozen",
    }.get(route, False)


@pytest.mark.parametrize(("route", "who", "expected"), CASES)
def test_permission_matrix(client, plan, people, campaign, route, who, expected):
    plan.published = True  # outsiders then get 403; see below for unpublished plans
    plan.save()
    if who != "anonymous":
        client.force_login(user_of(people, who))
    response = request(client, route, plan, campaign)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/comptes/login/?next=")
    else:
        assert response.status_code == expected, response.content.decode()[:500]
    wrote = effect(route, campaign)
    assert wrote is (expected == 302), f"{route} by {who}: write {'done' if wrote else 'missing'}"


@pytest.mark.parametrize("route", list(MATRIX))
def test_an_unpublished_plans_follow_up_is_404_to_outsiders(client, plan, people, campaign, route):
    plan.published = False
    plan.save()
    client.force_login(people.outsider)
    assert request(client, route, plan, campaign).status_code == 404
    assert not effect(route, campaign)


def test_missing_things_are_404_only_after_the_plan_level_check(client, plan, people, campaign):
    plan.published = True
    plan.save()
    client.force_login(people.outsider)
    # No hint that year 4 has no campaign: the outsider is refused before the lookup.
    assert client.get(f"/plans/{plan.slug}/suivi/4/").status_code == 403
    client.force_login(people.caf_pilot)
    assert client.get(f"/plans/{plan.slug}/suivi/4/").status_code == 404
    assert client.get(f"/plans/{plan.slug}/suivi/1/fiches/99/").status_code == 404
    assert client.get("/plans/nulle-part/suivi/").status_code == 404


def test_a_partner_sees_only_the_fiches_naming_their_organisation(client, plan, people, campaign):
    agglo_partner = member(plan, "partner", "carcassonne-agglo")
    client.force_login(agglo_partner)
    response = client.get(f"/plans/{plan.slug}/suivi/1/")
    assert [row.fiche.number for row in response.context["rows"]] == ["3"]
    assert client.get(f"/plans/{plan.slug}/suivi/1/fiches/2/").status_code == 403
    response = client.get(f"/plans/{plan.slug}/suivi/1/fiches/3/")
    assert response.status_code == 200
    assert "Enregistrer le brouillon" not in response.content.decode()


def test_the_caf_pilot_in_the_browser(client, plan, people, campaign):
    """Issue 3's scenario through the pages: fiche 2 is editable, fiche 3 only readable."""
    client.force_login(people.caf_pilot)
    page = client.get(f"/plans/{plan.slug}/suivi/1/fiches/3/").content.decode()
    assert "Vous consultez ce suivi : seuls les pilotes de la fiche et la coordination" in page
    assert "Enregistrer le brouillon" not in page and "disabled" in page
    response = client.post(
        f"/plans/{plan.slug}/suivi/1/fiches/3/", {"version": "1", "progress_rate": "100"}
    )
    assert response.status_code == 403
    three = report(campaign, "3")
    assert three.progress_rate is None and three.version == 1
    response = client.post(
        f"/plans/{plan.slug}/suivi/1/fiches/2/", {"version": "1", "progress_rate": "40"}
    )
    assert response.status_code == 302
    two = report(campaign, "2")
    assert two.progress_rate == 40 and two.updated_by == people.caf_pilot
    services.freeze_campaign(campaign)
    response = client.post(
        f"/plans/{plan.slug}/suivi/1/fiches/2/", {"version": "2", "progress_rate": "60"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("route", [r for r in MATRIX if r not in ("campaigns", "dashboard")])
def test_a_coordinator_of_another_plan_is_an_outsider_here(client, plan, people, campaign, route):
    """Issue 9: « coordinator of some plan » is not « coordinator of this plan »."""
    from pilotis.accounts import roles
    from pilotis.accounts.models import Role
    from tests.factories import PlanFactory, UserFactory

    plan.published = True
    plan.save()
    elsewhere = UserFactory()
    roles.grant(elsewhere, PlanFactory(), Role.COORDINATOR)
    client.force_login(elsewhere)
    assert request(client, route, plan, campaign).status_code == 403
    assert not effect(route, campaign)
