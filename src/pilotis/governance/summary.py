"""What governance tells the home page (public module of `governance`): the next COPIL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from pilotis.governance.models import Body, Meeting

COPIL_KINDS = (Body.Kind.COPIL, Body.Kind.EXTENDED_COPIL)


def next_copil(plan_ids: Iterable[int], now: datetime | None = None) -> dict[int, Meeting]:
    """The next COPIL (or extended COPIL) meeting of each plan that has one planned. One query."""
    now = now or timezone.now()
    found: dict[int, Meeting] = {}
    meetings = (
        Meeting.objects.filter(
            body__plan_id__in=list(plan_ids), body__kind__in=COPIL_KINDS, starts_at__gte=now
        )
        .select_related("body")
        .order_by("starts_at")
    )
    for meeting in meetings:
        found.setdefault(meeting.body.plan_id, meeting)
    return found
