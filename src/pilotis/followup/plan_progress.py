"""The follow-up's provider for the plan pages (registered with `plans.progress`)."""

from __future__ import annotations

from django.urls import reverse

from pilotis.followup import perms
from pilotis.followup.models import Campaign, Decision, FicheReport
from pilotis.plans.progress import FicheProgress, PlanProgress


def plan_progress(plan, user, year: int | None = None) -> PlanProgress | None:
    """Three queries: the campaigns, the reports with a rate or of the current campaign, the
    decisions. Nothing for a reader who does not read every report of the plan."""
    if not perms.reads_every_report(user, plan):
        return None
    campaigns = list(Campaign.objects.filter(plan=plan).order_by("-year"))
    if not campaigns:
        return None
    current = next((c for c in campaigns if c.year == year), campaigns[0])
    labels = {c.pk: c.year_label for c in campaigns}
    states = dict(FicheReport.Status.choices)
    result = PlanProgress(
        campaign_label=f"{current.year_label}, {current.get_status_display().lower()}",
        years=[(c.year, c.year_label) for c in campaigns],
    )
    reports = (
        FicheReport.objects.filter(plan=plan, campaign__year__lte=current.year)
        .order_by("fiche_id", "-campaign__year")
        .values_list("fiche_id", "campaign_id", "status", "progress_rate")
    )
    for fiche_id, campaign_id, status, rate in reports:
        item = result.fiches.setdefault(fiche_id, FicheProgress())
        if campaign_id == current.pk:
            item.state = states[status]
        if item.rate is None and rate is not None:
            item.rate, item.rate_year = rate, labels[campaign_id]
    decisions = (
        Decision.objects.filter(plan=plan, campaign__year__lte=current.year)
        .order_by("fiche_id", "-campaign__year", "-decided_at")
        .values_list("fiche_id", "kind")
    )
    kinds = dict(Decision.Kind.choices)
    for fiche_id, kind in decisions:
        item = result.fiches.setdefault(fiche_id, FicheProgress())
        if not item.decision:
            item.decision = kinds[kind]
    args = [plan.slug, current.year]
    result.links = [
        (f"Campagne de l’{current.year_label}", reverse("followup:dashboard", args=args)),
        (f"Rapport annuel de l’{current.year_label}", reverse("reports:annual", args=args)),
        ("Évaluation finale", reverse("reports:final", args=[plan.slug])),
    ]
    return result
