"""Who may do what in the observatory: reading is open to all (citizens read the observatory
without an account); a plan's territory page follows the plan's reading rights; importing files
and defining a plan's perimeter belong to coordinators and administrators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pilotis.accounts import roles
from pilotis.plans import perms as plan_perms


def can_import(user) -> bool:
    return roles.is_administrator(user) or roles.coordinates_any_plan(user)


def ensure_can_import(user) -> None:
    if not can_import(user):
        raise PermissionDenied("Seuls les coordinateurs importent des données dans l’observatoire.")


def ensure_can_view_plan(user, plan) -> None:
    plan_perms.ensure_can_view_plan(user, plan)


def can_edit_perimeter(user, plan) -> bool:
    return roles.is_administrator(user) or roles.is_coordinator(user, plan)


def ensure_can_edit_perimeter(user, plan) -> None:
    plan_perms.ensure_can_view_plan(user, plan)
    if not can_edit_perimeter(user, plan):
        raise PermissionDenied("Seuls les coordinateurs du plan en définissent le périmètre.")
