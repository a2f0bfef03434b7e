"""Who may read what through the API: a thin adapter over the apps' perms modules.

Rights are defined once, in plans/perms.py and followup/perms.py; this module only names the
questions the endpoints ask, so that they switch in one place when those modules grow.
"""

from __future__ import annotations

from django.db.models import QuerySet

from pilotis.plans.models import Fiche, Plan


def visible_plans(user) -> QuerySet[Plan]:
    # The plan pages are public until publication rules exist.
    return Plan.objects.all()


def can_view_plan(user, plan: Plan) -> bool:
    return True


def can_read_whole_plan(user, plan: Plan) -> bool:
    return True


def visible_fiches(user, plan: Plan) -> QuerySet[Fiche]:
    return Fiche.objects.filter(plan=plan)


def can_view_fiche(user, fiche: Fiche) -> bool:
    return True
