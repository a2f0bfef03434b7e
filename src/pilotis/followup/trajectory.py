"""A fiche's trajectory over the years, as a panel of its page (registered with plans.panels)."""

from __future__ import annotations

from collections import Counter

from django.db.models import Q
from django.urls import reverse

from pilotis.followup import perms
from pilotis.followup.models import ActionStatus, Decision, FicheReport, IndicatorValue
from pilotis.plans.panels import Panel


def fiche_trajectory(user, fiche, indicators) -> Panel | None:
    """One row per campaign: state, rate, actions done, indicator values given, COPIL
    decision, link to the report. Nothing (and no query) for a reader who does not read the
    plan's reports; four queries otherwise."""
    if not perms.reads_every_report(user, fiche.plan_id):
        return None
    reports = list(
        FicheReport.objects.filter(fiche=fiche)
        .select_related("campaign")
        .order_by("campaign__year")
    )
    if not reports:
        return None
    done = Counter(
        ActionStatus.objects.filter(report__in=reports)
        .filter(Q(done=ActionStatus.Done.YES) | Q(done=ActionStatus.Done.PARTLY))
        .values_list("report_id", flat=True)
    )
    due = Counter(
        ActionStatus.objects.filter(report__in=reports).values_list("report_id", flat=True)
    )
    values = Counter(
        IndicatorValue.objects.filter(report__in=reports).values_list("report_id", flat=True)
    )
    decisions = {
        campaign_id: (label, reason)
        for campaign_id, label, reason in (
            (d.campaign_id, d.get_kind_display(), d.reason)
            for d in Decision.objects.filter(fiche=fiche).order_by("decided_at")
        )
    }
    rows = [
        {
            "year_label": r.campaign.year_label,
            "state": r.get_status_display(),
            "rate": r.progress_rate,
            "done": done[r.pk],
            "due": due[r.pk],
            "values": values[r.pk],
            "decision": decisions.get(r.campaign_id, ("", ""))[0],
            "reason": decisions.get(r.campaign_id, ("", ""))[1],
            "url": reverse(
                "followup:report", args=[fiche.plan.slug, r.campaign.year, fiche.number]
            ),
            "report_url": reverse("reports:annual", args=[fiche.plan.slug, r.campaign.year]),
        }
        for r in reports
    ]
    return Panel("followup/_fiche_trajectory_panel.html", {"trajectory": rows})
