"""Who may read what through the API: the questions the endpoints ask, answered by plans/perms.py.

Rights are defined once, in the apps' perms modules (plans/perms.py here, followup/perms.py for
the follow-up); this module only names what the endpoints ask, so that they never decide alone.
Whatever the caller may not read answers 404: the API does not tell what exists beyond that.
"""

from __future__ import annotations

from pilotis.plans import perms

visible_plans = perms.visible_plans
can_view_plan = perms.can_view_plan
# Organisations and other plan-wide lists: not for partners, who read only their fiches.
can_read_whole_plan = perms.can_read_whole_plan
visible_fiches = perms.visible_fiches
can_view_fiche = perms.can_view_fiche
