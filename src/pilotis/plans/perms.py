"""Who may do what on plans: the one place permission rules live, used by views and templates.

Reading. A published plan is read by everyone, without an account. An unpublished one is read by
the administrators and the plan's members only: coordinators, COPIL members and pilots read all of
it; partners read the plan's overview and the fiches naming one of their organisations, nothing
else (organisations, data, links, import report, JSON export). Pages refuse with 404 whoever may
not see the plan at all (its existence is not revealed), and with 403 a member lacking the right
for this page or fiche: `ensure_*` below apply that rule.

Writing. Content, publication, history restores and links: the plan's coordinators and
administrators. The plan editor (sections, fiches, actions, pilots, indicators, organisations)
likewise: the coordinators of *this* plan — coordinating another plan gives no right here. A link
between two plans is proposed by one side and accepted by the other.

Creating a plan: every signed-in, active account. Accounts exist only by invitation or by an
administrator's hand, so this is no open door; a new plan is unpublished (read by its members
alone) and its creator becomes its coordinator. See docs/plan-editor.md.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from pilotis.accounts import roles
from pilotis.plans.models import Fiche, FicheRole, Plan

User = AbstractBaseUser | AnonymousUser | None

# Kept for accounts created before plan memberships existed (and by `seed_demo`).
COORDINATORS_GROUP = "coordinateurs"
_GROUP_CACHE_ATTR = "_pilotis_in_coordinators_group"

# Members holding one of these roles read the whole plan, published or not.
WHOLE_PLAN_READERS = (roles.Role.COORDINATOR, roles.Role.COPIL, roles.Role.PILOT)
# Who reads a fiche's history: those who steer the plan, not the pilots of one fiche.
HISTORY_READERS = (roles.Role.COORDINATOR, roles.Role.COPIL)


# --- Reading --------------------------------------------------------------------------------------


def can_view_plan(user: User, plan: Plan) -> bool:
    """See that the plan exists (its overview): everyone once published, else its members."""
    return plan.published or roles.is_administrator(user) or bool(roles.roles_of(user, plan))


def can_read_whole_plan(user: User, plan: Plan) -> bool:
    """Read every fiche and every page of the plan (organisations, data, links, export…)."""
    return plan.published or roles.has_role(user, plan, *WHOLE_PLAN_READERS)


def _partner_organisation_ids(user: User, plan: Plan | int) -> frozenset[int]:
    return roles.organisation_ids_of(user, plan, roles.Role.PARTNER)


def can_view_fiche(user: User, fiche: Fiche) -> bool:
    """Read the fiche: whoever reads the whole plan, and partners named on it.

    A partner member's organisation counts whatever its role on the fiche (partner, pilot or
    co-pilot): an organisation steering a fiche is at least a partner of it.
    """
    plan = fiche.plan
    if can_read_whole_plan(user, plan):
        return True
    organisation_ids = _partner_organisation_ids(user, plan)
    return bool(organisation_ids) and (
        FicheRole.objects.filter(fiche=fiche, organisation_id__in=organisation_ids).exists()
    )


def visible_plans(user: User) -> QuerySet[Plan]:
    """Plans listed to the user (home page, search filter): published ones, plus their own."""
    if roles.is_administrator(user):
        return Plan.objects.all()
    member_of = roles.plan_ids_of(user)
    if not member_of:
        return Plan.objects.filter(published=True)
    return Plan.objects.filter(Q(published=True) | Q(pk__in=member_of))


def visible_fiches_filter(user: User, prefix: str = "") -> Q:
    """A filter on Fiche (or on a model reaching a fiche through `prefix`, e.g. "fiche__") keeping
    the fiches the user may read, across plans: for the search and the overview."""
    plan_field = f"{prefix}plan"
    if roles.is_administrator(user):
        return Q()
    readable = Q(**{f"{plan_field}__published": True})
    whole = [p for r in WHOLE_PLAN_READERS for p in roles.plan_ids_of(user, r)]
    if whole:
        readable |= Q(**{f"{plan_field}_id__in": sorted(set(whole))})
    partner_plans = roles.plan_ids_of(user, roles.Role.PARTNER)
    organisation_ids = sorted(
        {o for p in partner_plans for o in _partner_organisation_ids(user, p)}
    )
    if organisation_ids:
        # A subquery rather than a join: a fiche naming two of the organisations stays one row.
        named = FicheRole.objects.filter(organisation_id__in=organisation_ids).values("fiche_id")
        readable |= Q(**{f"{prefix}pk__in": named})
    return readable


def visible_fiches(user: User, plan: Plan) -> QuerySet[Fiche]:
    """The fiches of `plan` the user may read (all of them for whole-plan readers)."""
    if can_read_whole_plan(user, plan):
        return plan.fiches.all()
    return plan.fiches.filter(visible_fiches_filter(user))


def can_view_history(user: User, plan: Plan) -> bool:
    """Read a fiche's history (who changed what): coordinators, COPIL members, administrators."""
    return roles.has_role(user, plan, *HISTORY_READERS)


# --- Writing --------------------------------------------------------------------------------------


def can_edit_plan_content(user: User, plan: Plan) -> bool:
    """Edit the fiches' content and restore earlier versions: the plan's coordinators."""
    return roles.is_coordinator(user, plan)


def can_edit_plan(user: User, plan: Plan) -> bool:
    """Write the plan in the editor (its fields, sections, fiches and their parts, organisations):
    the coordinators of this plan and administrators."""
    return roles.is_coordinator(user, plan)


def can_create_plan(user: User) -> bool:
    """Create a new plan from nothing: any signed-in, active account (it becomes coordinator)."""
    return user is not None and user.is_authenticated and user.is_active


def can_publish(user: User, plan: Plan) -> bool:
    """Publish or unpublish the plan: its coordinators (issue 3: "publication")."""
    return roles.is_coordinator(user, plan)


def can_import(user: User) -> bool:
    """Importing a document creates or replaces a whole plan: coordinators and superusers only.

    A coordinator of any plan may import; so may the members of the legacy group.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if roles.is_administrator(user) or roles.coordinates_any_plan(user):
        return True
    # Cached on the user object (one per request): the menu asks on every page, views again.
    cached = getattr(user, _GROUP_CACHE_ATTR, None)
    if cached is None:
        cached = user.groups.filter(name=COORDINATORS_GROUP).exists()
        setattr(user, _GROUP_CACHE_ATTR, cached)
    return cached


def can_edit_links(user: User, plan: Plan | int) -> bool:
    """Proposing links from this plan, adding one from its fiches, deciding on its links: the
    coordinators of *this* plan and the administrators. Coordinating another plan gives no right
    here (issue 9: a coordinator of plan B could write links on plan A)."""
    return roles.is_coordinator(user, plan)


def can_accept_link(user: User, link, plan: Plan | int) -> bool:
    """A link between two plans is proposed by one side and accepted by the other.

    The side that proposed is the link's source plan (suggestions, a document's links and manual
    links are all stored from the plan they were made on). From `plan`'s pages, its coordinators
    accept a link the other side proposed; the proposing side accepts only when the user also
    coordinates the other plan (administrators coordinate every plan).
    """
    plan_id = plan if isinstance(plan, int) else plan.pk
    if plan_id not in (link.source_plan_id, link.target_plan_id):
        return False
    if not can_edit_links(user, plan_id):
        return False
    other = link.source_plan_id if plan_id == link.target_plan_id else link.target_plan_id
    return plan_id == link.target_plan_id or can_edit_links(user, other)


def can_reject_link(user: User, link, plan: Plan | int) -> bool:
    """Rejecting a proposal or withdrawing an accepted link: the coordination of either side."""
    plan_id = plan if isinstance(plan, int) else plan.pk
    return plan_id in (link.source_plan_id, link.target_plan_id) and can_edit_links(user, plan_id)


# --- Refusals, as the pages apply them ----------------------------------------------------------


def ensure_can_view_plan(user: User, plan: Plan) -> None:
    """404 for whoever may not know the plan exists."""
    if not can_view_plan(user, plan):
        raise Http404("Plan introuvable.")


def ensure_can_read_whole_plan(user: User, plan: Plan) -> None:
    """404 for whoever may not see the plan, 403 for a member whose role does not reach here."""
    ensure_can_view_plan(user, plan)
    if not can_read_whole_plan(user, plan):
        raise PermissionDenied("Votre rôle dans ce plan ne donne pas accès à cette page.")


def ensure_can_view_fiche(user: User, fiche: Fiche) -> None:
    """404 for whoever may not see the plan, 403 for a member the fiche is not open to."""
    ensure_can_view_plan(user, fiche.plan)
    if not can_view_fiche(user, fiche):
        raise PermissionDenied("Cette fiche n’est pas ouverte à votre organisation.")


def ensure(allowed: bool, user: User, plan: Plan, message: str) -> None:
    """For a write (or a restricted read): 404 if the plan is hidden, else 403 with `message`."""
    ensure_can_view_plan(user, plan)
    if not allowed:
        raise PermissionDenied(message)
