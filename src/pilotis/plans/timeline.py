"""The timeline of a plan's actions by contract year: what is due when (pure, then a thin view)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from pilotis.plans import perms
from pilotis.plans.models import Action, Plan


@dataclass
class YearGroup:
    year: int | None  # contract year; None for the actions with no deadline
    calendar_year: int | None
    actions: list = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.year is None:
            return "Sans échéance précisée"
        return (
            f"Année {self.year} ({self.calendar_year})"
            if self.calendar_year
            else f"Année {self.year}"
        )


def by_contract_year(actions: Iterable, duration: int, start_year: int | None) -> list[YearGroup]:
    """Every contract year (1…duration, and any later year an action names) with the actions due
    that year, in the order given; an action due several years is in each; then the actions
    without a deadline."""
    actions = list(actions)
    last = max([duration, *(y for a in actions for y in (a.deadline_years or ()))], default=0)
    groups = {
        y: YearGroup(y, start_year + y - 1 if start_year else None) for y in range(1, last + 1)
    }
    undated = YearGroup(None, None)
    for action in actions:
        years = [y for y in (action.deadline_years or ()) if y in groups]
        for year in years:
            groups[year].actions.append(action)
        if not years:
            undated.actions.append(action)
    return [*groups.values(), *([undated] if undated.actions else [])]


@require_safe
def plan_timeline(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_view_plan(request.user, plan)
    fiches = perms.visible_fiches(request.user, plan)
    actions = (
        Action.objects.filter(fiche__in=fiches, archived=False)
        .select_related("fiche")
        .only("letter", "text", "deadline_years", "fiche__number", "fiche__title", "fiche__plan")
        .order_by("fiche__position", "fiche__pk", "position", "pk")
    )
    context = {
        "plan": plan,
        "title": f"Calendrier des actions — {plan.title}",
        "groups": by_contract_year(actions, plan.duration_years, plan.start_year),
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": plan.title[:60]}],
            "current": "Calendrier des actions",
        },
    }
    return render(request, "plans/timeline.html", context)
