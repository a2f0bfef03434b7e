"""What the observatory adds to the plans' pages, registered with plans at start-up: the trend of
the territory for a fiche's indicators tied to an observatory indicator."""

from __future__ import annotations

from pilotis.plans import panels


def fiche_trend(user, fiche, indicators) -> panels.Panel | None:
    """The territory's values (every period and source) beside the fiche's tied indicators.

    No query when none of the fiche's indicators is tied to the observatory.
    """
    tied = [i for i in indicators if i.observatory_indicator_id and not i.archived]
    if not tied:
        return None
    from pilotis.observatory import portrait
    from pilotis.observatory.models import Indicator, PlanPerimeter

    link = PlanPerimeter.objects.filter(plan_id=fiche.plan_id).select_related("territory").first()
    by_pk = Indicator.objects.in_bulk([i.observatory_indicator_id for i in tied])
    columns, table = [], {}
    if link:
        columns, table = portrait.indicator_rows(link.territory, list(by_pk.values()))
    rows = [
        (item, by_pk[item.observatory_indicator_id], table.get(item.observatory_indicator_id))
        for item in tied
    ]
    return panels.Panel(
        "observatory/_fiche_trend.html",
        {"rows": rows, "columns": columns, "link": link, "plan": fiche.plan},
    )


def register() -> None:
    panels.register_panel(fiche_trend)
