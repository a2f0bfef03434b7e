"""The one place answering "which roles does this user hold in a plan, for which organisations".

This is the accounts app's public module: other apps ask it (and use its `Role` codes) rather
than querying memberships themselves (the dependency rule of DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet

from pilotis.accounts.models import Membership, Role
from pilotis.plans.models import Fiche, FicheRole, Organisation, Plan

__all__ = ["Role", "STEERING_FICHE_ROLES", "PlanGrants"]  # and the functions below

User = AbstractBaseUser | AnonymousUser | None
PlanRef = Plan | int

# Fiche roles that let a pilot edit a fiche's follow-up data (issue 3: "pilot or co-pilot").
STEERING_FICHE_ROLES = frozenset({FicheRole.Role.PILOT, FicheRole.Role.COPILOT})

# Attribute of the user object holding its grants. request.user is a new object on every request,
# so the cache lives exactly one request; call forget() after changing memberships mid-request.
_CACHE_ATTR = "_pilotis_grants"


@dataclass
class PlanGrants:
    """What one user holds in one plan: role → ids of the organisations it is held for."""

    plan_id: int
    slug: str
    roles: dict[str, frozenset[int]] = field(default_factory=dict)


def _plan_id(plan: PlanRef) -> int:
    return plan if isinstance(plan, int) else plan.pk


def _is_active(user: User) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _grants(user: User) -> dict[int, PlanGrants]:
    """Every membership of the user, by plan id: one query per request, whatever is asked."""
    if not _is_active(user):
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    found: dict[int, PlanGrants] = {}
    by_role: dict[tuple[int, str], set[int]] = {}
    rows = Membership.objects.filter(user=user).values_list(
        "plan_id", "plan__slug", "role", "organisations__id"
    )
    for plan_id, slug, role, organisation_id in rows:
        found.setdefault(plan_id, PlanGrants(plan_id, slug))
        organisations = by_role.setdefault((plan_id, role), set())
        if organisation_id is not None:
            organisations.add(organisation_id)
    for (plan_id, role), organisations in by_role.items():
        found[plan_id].roles[role] = frozenset(organisations)
    setattr(user, _CACHE_ATTR, found)
    return found


def forget(user: User) -> None:
    """Drop the cached grants, after memberships of this user changed in the current request."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# --- Questions -----------------------------------------------------------------------------------


def is_administrator(user: User) -> bool:
    """Administrators are the superusers: every right on every plan."""
    return _is_active(user) and user.is_superuser


def roles_of(user: User, plan: PlanRef) -> frozenset[str]:
    """The user's roles in the plan (`Role` values); empty for anonymous or inactive users.

    Administrators get only the roles they actually hold: ask is_coordinator() or the apps'
    perms.py for rights, which let administrators do everything.
    """
    grants = _grants(user).get(_plan_id(plan))
    return frozenset(grants.roles) if grants else frozenset()


def has_role(user: User, plan: PlanRef, *roles: str) -> bool:
    """True when the user holds one of `roles` in the plan (administrators included)."""
    return is_administrator(user) or not roles_of(user, plan).isdisjoint(roles)


def is_coordinator(user: User, plan: PlanRef) -> bool:
    """Coordinator of this plan, or administrator (who may do everything a coordinator does)."""
    return has_role(user, plan, Role.COORDINATOR)


def is_coordinator_by_slug(user: User, slug: str) -> bool:
    """is_coordinator() for a plan known by its slug, without loading the plan."""
    if is_administrator(user):
        return True
    return any(g.slug == slug and Role.COORDINATOR in g.roles for g in _grants(user).values())


def coordinates_any_plan(user: User) -> bool:
    return any(Role.COORDINATOR in g.roles for g in _grants(user).values())


def plan_ids_of(user: User, role: str | None = None) -> frozenset[int]:
    """Ids of the plans where the user holds `role` (any role when None)."""
    return frozenset(
        plan_id for plan_id, g in _grants(user).items() if (role in g.roles if role else g.roles)
    )


def organisation_ids_of(user: User, plan: PlanRef, role: str | None = None) -> frozenset[int]:
    """Ids of the organisations the user acts for in the plan, under `role` or any role."""
    grants = _grants(user).get(_plan_id(plan))
    if grants is None:
        return frozenset()
    if role is not None:
        return grants.roles.get(role, frozenset())
    return frozenset().union(*grants.roles.values())


def organisations_of(user: User, plan: PlanRef, role: str | None = None) -> QuerySet[Organisation]:
    """The organisations the user acts for in the plan (a CAF agent: the plan's "caf")."""
    return Organisation.objects.filter(pk__in=organisation_ids_of(user, plan, role))


def fiche_roles_of(user: User, fiche: Fiche, membership_role: str | None = None) -> frozenset[str]:
    """FicheRole roles ("pilot", "copilot", "partner") the user's organisations hold on the fiche.

    `membership_role` restricts to the organisations of that membership: a pilot edits the fiches
    for which organisation_ids_of(user, plan, Role.PILOT) is pilot or co-pilot.
    """
    organisation_ids = organisation_ids_of(user, fiche.plan_id, membership_role)
    if not organisation_ids:
        return frozenset()
    return frozenset(
        FicheRole.objects.filter(fiche=fiche, organisation_id__in=organisation_ids)
        .values_list("role", flat=True)
        .distinct()
    )


def fiches_steered_by(user: User, plan: PlanRef) -> QuerySet[Fiche]:
    """Fiches of the plan that the user's pilot organisations pilot or co-pilot."""
    organisation_ids = organisation_ids_of(user, plan, Role.PILOT)
    return Fiche.objects.filter(
        plan_id=_plan_id(plan),
        roles__organisation_id__in=organisation_ids,
        roles__role__in=STEERING_FICHE_ROLES,
    ).distinct()


# --- Changes -------------------------------------------------------------------------------------


@transaction.atomic
def grant(
    user: AbstractBaseUser,
    plan: Plan,
    role: str,
    organisations: Iterable[Organisation] = (),
) -> Membership:
    """Give `user` the role in the plan (kept if already held), adding the organisations.

    Organisations of another plan are ignored: a membership only names its own plan's.
    """
    membership, _ = Membership.objects.get_or_create(user=user, plan=plan, role=role)
    own = [o for o in organisations if o.plan_id == plan.pk]
    if own:
        membership.organisations.add(*own)
    forget(user)
    return membership


# --- Who holds a role, plan-wide ------------------------------------------------------------------


def pilot_people(plan: PlanRef) -> dict[int, list[str]]:
    """Names of the people acting as pilots, by organisation id: whom the coordinator calls."""
    people: dict[int, list[str]] = {}
    rows = Membership.objects.filter(plan=_plan_id(plan), role=Role.PILOT).values_list(
        "organisations__id", "user__first_name", "user__last_name", "user__username"
    )
    for organisation_id, first, last, username in rows:
        if organisation_id is not None:
            people.setdefault(organisation_id, []).append(f"{first} {last}".strip() or username)
    return people


def reachable_pilots(plan_ids: Iterable[int]) -> dict[int, set[int]]:
    """Active pilots with an e-mail address in these plans: user id → organisation ids.

    Pilot memberships only: a COPIL member or a partner of the same organisation is not asked to
    fill in a fiche (issue 3). Accounts without an address cannot be reminded.
    """
    pilots: dict[int, set[int]] = {}
    rows = (
        Membership.objects.filter(
            plan__in=set(plan_ids),
            role=Role.PILOT,
            user__is_active=True,
            organisations__isnull=False,
        )
        .exclude(user__email="")
        .values_list("user_id", "organisations__id")
    )
    for user_id, organisation_id in rows:
        pilots.setdefault(user_id, set()).add(organisation_id)
    return pilots
