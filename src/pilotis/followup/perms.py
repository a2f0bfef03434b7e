"""Who may do what in the yearly follow-up: the one place these rules live (views, API, tags)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from pilotis.accounts import roles
from pilotis.followup.models import Campaign, FicheReport
from pilotis.plans.models import FicheRole, Plan

User = AbstractBaseUser | AnonymousUser | None


def can_view_followup(user: User, plan: Plan | int) -> bool:
    """The campaigns and their dashboards: any member of the plan, and the administrators.

    The dashboard shows states and rates, not the reports' texts (see can_view_report).
    """
    return roles.is_administrator(user) or bool(roles.roles_of(user, plan))


def can_open_campaign(user: User, plan: Plan | int) -> bool:
    """Opening a contract year's campaign: the plan's coordinators and the administrators."""
    return roles.is_coordinator(user, plan)


def can_change_campaign(user: User, campaign: Campaign) -> bool:
    """Moving the deadline or allowing « En partie » while the campaign is open."""
    return campaign.is_open and roles.is_coordinator(user, campaign.plan_id)


def can_freeze(user: User, campaign: Campaign) -> bool:
    """Freezing an open campaign (its snapshot goes to the COPIL): coordinators, administrators."""
    return campaign.is_open and roles.is_coordinator(user, campaign.plan_id)


def can_unfreeze(user: User, campaign: Campaign) -> bool:
    """Reopening a campaign frozen too early (copil.unfreeze_campaign refuses it once the COPIL
    recorded a decision): coordinators, administrators."""
    return campaign.status == Campaign.Status.FROZEN and roles.is_coordinator(
        user, campaign.plan_id
    )


# --- The COPIL cycle (issue 5): COPIL members decide and validate; the coordination, which
# prepares the meeting and often records its minutes, may do the same. Everyone who reads every
# report reads the decisions.


def can_view_copil(user: User, campaign: Campaign) -> bool:
    return reads_every_report(user, campaign.plan_id)


def _sits_on_copil(user: User, plan_id: int) -> bool:
    return roles.has_role(user, plan_id, roles.Role.COPIL, roles.Role.COORDINATOR)


def can_decide(user: User, campaign: Campaign) -> bool:
    """Recording or changing a decision on a fiche: while the campaign is frozen, not after the
    validation (a validated year changes only through an erratum)."""
    return campaign.status == Campaign.Status.FROZEN and _sits_on_copil(user, campaign.plan_id)


def can_validate_campaign(user: User, campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.FROZEN and _sits_on_copil(user, campaign.plan_id)


def can_record_erratum(user: User, campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.VALIDATED and _sits_on_copil(user, campaign.plan_id)


def steers(user: User, report: FicheReport) -> bool:
    """The user acts as pilot for an organisation piloting or co-piloting the report's fiche.

    Only the organisations of the user's *pilot* membership count: a COPIL member or a partner
    of the CAF does not edit the CAF's fiches (issue 3).
    """
    fiche_roles = roles.fiche_roles_of(user, report.fiche, roles.Role.PILOT)
    return not fiche_roles.isdisjoint(roles.STEERING_FICHE_ROLES)


def reads_every_report(user: User, plan: Plan | int) -> bool:
    """Coordinators, COPIL members and pilots read every fiche's follow-up (the COPIL reviews
    them together, pilots of a contract work side by side); administrators too."""
    return roles.has_role(user, plan, roles.Role.COORDINATOR, roles.Role.COPIL, roles.Role.PILOT)


def can_view_report(user: User, report: FicheReport) -> bool:
    """A fiche's yearly report: whoever reads every report, and partners for the fiches their
    organisations are named on (issue 3: a partner reads the fiches where their organisation is
    a partner). The dashboard shows partners those fiches only (see partner_fiche_ids)."""
    if reads_every_report(user, report.plan_id):
        return True
    return bool(roles.fiche_roles_of(user, report.fiche, roles.Role.PARTNER))


def partner_fiche_ids(user: User, plan: Plan) -> frozenset[int]:
    """Ids of the plan's fiches naming one of the user's partner organisations."""
    organisation_ids = roles.organisation_ids_of(user, plan, roles.Role.PARTNER)
    if not organisation_ids:
        return frozenset()
    return frozenset(
        FicheRole.objects.filter(
            fiche__plan=plan, organisation_id__in=organisation_ids
        ).values_list("fiche_id", flat=True)
    )


def can_edit_report(user: User, report: FicheReport) -> bool:
    """Saving or transmitting the report: coordinators (and administrators), or the pilots whose
    organisations pilot or co-pilot the fiche — while the campaign is open and the report is not
    validated. COPIL members and partners read only."""
    if not report.campaign.is_open or report.status == FicheReport.Status.VALIDATED:
        return False
    return roles.is_coordinator(user, report.plan_id) or steers(user, report)


def can_validate_report(user: User, report: FicheReport) -> bool:
    """Validating a report (« Validée par la coordination »): coordinators, in an open campaign."""
    return (
        report.campaign.is_open
        and report.status != FicheReport.Status.VALIDATED
        and roles.is_coordinator(user, report.plan_id)
    )


def can_reopen_report(user: User, report: FicheReport) -> bool:
    """Taking back a validation made too soon, while the campaign is still open: coordinators."""
    return (
        report.campaign.is_open
        and report.status == FicheReport.Status.VALIDATED
        and roles.is_coordinator(user, report.plan_id)
    )


def has_fiches_to_follow(user: User) -> bool:
    """Whether « Mes fiches à suivre » concerns the user: a pilot of at least one plan."""
    return bool(roles.plan_ids_of(user, roles.Role.PILOT))


def can_use_spreadsheet(user: User, campaign: Campaign) -> bool:
    """Downloading the campaign's spreadsheet and sending it back filled in: coordinators (every
    fiche), pilots (the fiches they steer) and administrators. What each may change in it is
    can_edit_report's, fiche by fiche."""
    return roles.has_role(user, campaign.plan_id, roles.Role.COORDINATOR, roles.Role.PILOT)


def can_upload_spreadsheet(user: User, campaign: Campaign) -> bool:
    """Sending a filled-in spreadsheet: as can_use_spreadsheet, while the campaign is open."""
    return campaign.is_open and can_use_spreadsheet(user, campaign)


def spreadsheet_fiche_ids(user: User, campaign: Campaign) -> frozenset[int] | None:
    """The fiches of the user's spreadsheet: None for every fiche (coordinators, administrators),
    else those their pilot organisations pilot or co-pilot (as steers())."""
    if roles.is_coordinator(user, campaign.plan_id):
        return None
    return frozenset(roles.fiches_steered_by(user, campaign.plan_id).values_list("pk", flat=True))


# --- Weights of the roll-ups (issue 5: « weights default to equal and can be set »).


def can_view_weights(user: User, plan: Plan) -> bool:
    """The « Pondération » page lists every section and fiche of the plan: members who read the
    whole plan, and any member once the plan is published (its fiches are public then)."""
    return can_view_followup(user, plan) and (plan.published or reads_every_report(user, plan))


def can_set_weights(user: User, plan: Plan | int) -> bool:
    """Setting the weights of sections and fiches: the plan's coordinators and administrators."""
    return roles.is_coordinator(user, plan)
