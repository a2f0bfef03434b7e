"""The follow-up's public module for other apps: what they may read without its internals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pilotis.followup.models import Decision
from pilotis.plans.models import Plan


@dataclass(frozen=True)
class CopilDecision:
    year: int
    fiche_number: str
    fiche_title: str
    fiche_url: str
    kind_label: str
    reason: str
    decided_at: datetime
    is_demo: bool


def copil_decisions(plan: Plan) -> list[CopilDecision]:
    """The COPIL's decisions of the yearly evaluations of a plan, newest campaign first."""
    rows = (
        Decision.objects.filter(plan=plan)
        .select_related("campaign", "fiche__plan")
        .order_by("-campaign__year", "fiche__position", "pk")
    )
    return [
        CopilDecision(
            year=d.campaign.year,
            fiche_number=d.fiche.number,
            fiche_title=d.fiche.title,
            fiche_url=d.fiche.get_absolute_url(),
            kind_label=d.get_kind_display(),
            reason=d.reason,
            decided_at=d.decided_at,
            is_demo=d.campaign.is_demo,
        )
        for d in rows
    ]
