"""The observatory's public module: what other apps may use (DESIGN.md, the dependency rule)."""

from __future__ import annotations

from pilotis.observatory.loading import communes_of, set_custom_perimeter
from pilotis.observatory.models import Indicator, Observation, PlanPerimeter, Territory

__all__ = [
    "Indicator",
    "Observation",
    "Territory",
    "communes_of",
    "perimeter_of",
    "set_custom_perimeter",
]


def perimeter_of(plan) -> Territory | None:
    """The observatory territory of a plan, if it has one."""
    link = PlanPerimeter.objects.filter(plan=plan).select_related("territory").first()
    return link.territory if link else None
