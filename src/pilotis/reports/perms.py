"""Who reads the follow-up reports: the one place this rule lives (views, download buttons).

The reports cover every fiche of the plan, with the pilots' own words (obstacles, comments) and the
COPIL's decisions: they are read by whoever reads every fiche's follow-up (followup.perms:
coordinators, COPIL members, pilots, administrators). A partner, who sees the follow-up of the
fiches naming their organisation only, does not get them; nor does the public, even for a
published plan: a published plan shows its content, and publishing a year's results is a
separate decision of the coordinator (not built yet). Refusals follow the follow-up pages: sign-in
for anonymous visitors, 404 for outsiders of an unpublished plan, 403 otherwise.
"""

from __future__ import annotations

from pilotis.followup import perms as followup_perms
from pilotis.plans.models import Plan

User = followup_perms.User


def can_view_reports(user: User, plan: Plan | int) -> bool:
    """The annual and final reports of the plan, in every format."""
    return followup_perms.reads_every_report(user, plan)
