"""Who reads and who keeps a plan's bodies, meetings, minutes and decisions."""

from __future__ import annotations

from pilotis.accounts import roles
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import Plan

User = roles.User


def can_read(user: User, plan: Plan) -> bool:
    """Bodies, their meetings' dates and agendas, decisions: whoever sees the plan."""
    return plan_perms.can_view_plan(user, plan)


def can_read_members_only(user: User, plan: Plan) -> bool:
    """Representatives' names and e-mails, attendance, unpublished minutes, attachments: the
    plan's members (any role) and administrators."""
    return roles.is_administrator(user) or bool(roles.roles_of(user, plan))


def can_edit(user: User, plan: Plan) -> bool:
    """Create bodies and meetings, record attendance, minutes and decisions: the coordination."""
    return roles.is_coordinator(user, plan)


def ensure_can_read(user: User, plan: Plan) -> None:
    plan_perms.ensure_can_view_plan(user, plan)


def ensure_can_edit(user: User, plan: Plan) -> None:
    plan_perms.ensure(
        can_edit(user, plan), user, plan, "Seule la coordination du plan tient ses instances."
    )
