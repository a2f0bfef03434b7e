"""Who reads and who keeps a plan's directory of resources."""

from __future__ import annotations

from pilotis.accounts import roles
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import Plan

User = roles.User


def can_read(user: User, plan: Plan) -> bool:
    """Whoever sees the plan reads its directory: it holds structures' professional contact
    points only, meant for inhabitants and professionals (fiche 53 C)."""
    return plan_perms.can_view_plan(user, plan)


def can_edit(user: User, plan: Plan) -> bool:
    """Add, change, import, remove entries and ask structures to check them: this plan's
    coordination (and administrators)."""
    return roles.is_coordinator(user, plan)


def ensure_can_read(user: User, plan: Plan) -> None:
    plan_perms.ensure_can_view_plan(user, plan)


def ensure_can_edit(user: User, plan: Plan) -> None:
    plan_perms.ensure(
        can_edit(user, plan), user, plan, "Seule la coordination du plan tient son répertoire."
    )
