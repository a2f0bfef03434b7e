"""What the follow-up tells each person on the home page (public module of `followup`).

The home app reads the follow-up only through these functions: the coordinator's open campaigns
with their progress and late fiches, a pilot's fiches to fill, a COPIL member's frozen campaigns
awaiting decisions and latest validated year. Each function costs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.followup import tracking
from pilotis.followup.models import Campaign, FicheReport
from pilotis.plans.models import Fiche, FicheRole

Status = FicheReport.Status
STATUS_LABELS = dict(Status.choices)


@dataclass
class LateFiche:
    number: str
    title: str
    pilots: list[str]
    url: str


@dataclass
class CampaignProgress:
    """An open campaign as its coordinator sees it on the home page."""

    campaign: Campaign
    counts: list[tuple[str, str, int, int]]  # (state, label, count, percent of the total)
    total: int
    late: list[LateFiche] = field(default_factory=list)
    days_left: int = 0
    next_copil: object = None  # the next COPIL meeting, set by the home page (governance)

    @property
    def bars(self) -> list[tuple[str, int, int]]:
        """(state, x, width) of each non-empty state on a 0–100 bar."""
        bars, x = [], 0
        for state, _label, _count, percent in self.counts:
            if percent:
                bars.append((state, x, percent))
                x += percent
        return bars

    @property
    def done_percent(self) -> int:
        return sum(p for s, _l, _c, p in self.counts if s in tracking.DONE_STATUSES)

    @property
    def late_pilots(self) -> list[str]:
        return sorted({pilot for fiche in self.late for pilot in fiche.pilots})


def progress_counts(statuses: list[str]) -> list[tuple[str, str, int, int]]:
    """(state, label, count, percent) in the order a report goes through, percents summing to
    100 when there is any report (largest remainders get the rounding) — pure."""
    counts = tracking.status_counts(statuses)
    total = sum(counts.values())
    if not total:
        return [(s, STATUS_LABELS[s], 0, 0) for s in counts]
    exact = {s: n * 100 / total for s, n in counts.items()}
    percents = {s: int(v) for s, v in exact.items()}
    for s in sorted(exact, key=lambda s: exact[s] - percents[s], reverse=True)[
        : 100 - sum(percents.values())
    ]:
        percents[s] += 1
    return [(s, STATUS_LABELS[s], n, percents[s]) for s, n in counts.items()]


def _expected(fiche: Fiche, campaign: Campaign, reported: bool) -> bool:
    """Not stopped by the COPIL before the campaign's year, nor archived before the campaign
    (`reported`: the fiche has its report in the campaign)."""
    if fiche.archived and not reported:
        return False
    return fiche.stopped_year is None or fiche.stopped_year >= campaign.year


def open_campaigns_of_coordinator(user, today: date | None = None) -> list[CampaignProgress]:
    """The open campaigns of the plans `user` coordinates, with progress and late fiches."""
    today = today or timezone.localdate()
    plan_ids = roles.plan_ids_of(user, roles.Role.COORDINATOR)
    if not plan_ids:
        return []
    campaigns = list(
        Campaign.objects.filter(plan_id__in=plan_ids, status=Campaign.Status.OPEN)
        .select_related("plan")
        .order_by("deadline", "plan__title")
    )
    if not campaigns:
        return []
    by_plan = {c.plan_id: c for c in campaigns}
    fiches = list(
        Fiche.objects.filter(plan_id__in=by_plan)
        .only("plan", "number", "title", "position", "archived")
        .order_by("plan_id", "position", "pk")
    )
    stopped = dict(
        Fiche.objects.filter(plan_id__in=by_plan, followup__stopped_year__isnull=False).values_list(
            "pk", "followup__stopped_year"
        )
    )
    statuses = dict(
        FicheReport.objects.filter(campaign__in=campaigns).values_list("fiche_id", "status")
    )
    pilots: dict[int, list[str]] = defaultdict(list)
    for fiche_id, name in FicheRole.objects.filter(
        fiche__plan_id__in=by_plan, role__in=roles.STEERING_FICHE_ROLES
    ).values_list("fiche_id", "organisation__name"):
        pilots[fiche_id].append(name)
    result = {
        c.pk: CampaignProgress(c, [], 0, days_left=(c.deadline - today).days) for c in campaigns
    }
    seen: dict[int, list[str]] = defaultdict(list)
    for fiche in fiches:
        campaign = by_plan[fiche.plan_id]
        fiche.stopped_year = stopped.get(fiche.pk)
        if not _expected(fiche, campaign, fiche.pk in statuses):
            continue
        status = statuses.get(fiche.pk, Status.TO_DO)
        seen[campaign.pk].append(status)
        if tracking.lateness(status, campaign.deadline, today) == tracking.LATE:
            result[campaign.pk].late.append(
                LateFiche(
                    fiche.number,
                    fiche.title,
                    sorted(pilots.get(fiche.pk, [])),
                    reverse(
                        "followup:report", args=[campaign.plan.slug, campaign.year, fiche.number]
                    ),
                )
            )
    for campaign in campaigns:
        progress = result[campaign.pk]
        progress.counts = progress_counts(seen[campaign.pk])
        progress.total = len(seen[campaign.pk])
    return [result[c.pk] for c in campaigns]


@dataclass
class CopilCampaign:
    campaign: Campaign
    decided: int
    url: str
    report_url: str


def copil_campaigns(user) -> tuple[list[CopilCampaign], list[CopilCampaign]]:
    """For a COPIL member (or coordinator): the frozen campaigns awaiting decisions, and the
    latest validated campaign of each plan with its report."""
    plan_ids = roles.plan_ids_of(user, roles.Role.COPIL) | roles.plan_ids_of(
        user, roles.Role.COORDINATOR
    )
    if not plan_ids:
        return [], []
    campaigns = list(
        Campaign.objects.filter(
            plan_id__in=plan_ids,
            status__in=[Campaign.Status.FROZEN, Campaign.Status.VALIDATED],
        )
        .select_related("plan")
        .annotate(decided=Count("decisions", distinct=True))
        .order_by("plan__title", "-year")
    )
    frozen, latest, seen = [], [], set()
    for campaign in campaigns:
        args = [campaign.plan.slug, campaign.year]
        item = CopilCampaign(
            campaign,
            campaign.decided,
            reverse("followup:copil", args=args),
            reverse("reports:annual", args=args),
        )
        if campaign.status == Campaign.Status.FROZEN:
            frozen.append(item)
        elif campaign.plan_id not in seen:
            seen.add(campaign.plan_id)
            latest.append(item)
    return frozen, latest


@dataclass
class Todo:
    campaign: Campaign
    fiche: Fiche
    status: str
    status_label: str
    lateness: str | None
    url: str

    @property
    def lateness_label(self) -> str:
        return tracking.LATENESS_LABELS.get(self.lateness or "", "")


def pilot_todos(user) -> tuple[frozenset[int], list[Todo]]:
    """The plans where `user` is a pilot, and the fiches their organisations steer in each open
    campaign, soonest deadline first (« Mes fiches à suivre » and the pilot's home)."""
    plan_ids = roles.plan_ids_of(user, roles.Role.PILOT)
    open_campaigns = {
        c.plan_id: c
        for c in Campaign.objects.filter(
            plan_id__in=plan_ids, status=Campaign.Status.OPEN
        ).select_related("plan")
    }
    # One query for every plan: the fiches the user's pilot organisations steer, where a
    # campaign is open (organisation ids are unique across plans).
    organisation_ids = set().union(
        *(roles.organisation_ids_of(user, plan_id, roles.Role.PILOT) for plan_id in open_campaigns)
    )
    fiches = list(
        Fiche.objects.filter(
            plan_id__in=open_campaigns,
            roles__organisation_id__in=organisation_ids,
            roles__role__in=roles.STEERING_FICHE_ROLES,
        )
        .distinct()
        .only("plan", "number", "title", "position", "archived")
        # The year after which a COPIL stopped the fiche, if it did: nothing expected after it.
        .annotate(stopped_year=F("followup__stopped_year"))
        .order_by("plan_id", "position", "pk")
    )
    reports = {
        (r.campaign_id, r.fiche_id): r.status
        for r in FicheReport.objects.filter(
            campaign__in=open_campaigns.values(), fiche__in=fiches
        ).only("campaign_id", "fiche_id", "status")
    }
    today = timezone.localdate()
    labels = dict(Status.choices)
    todos = []
    for fiche in fiches:
        campaign = open_campaigns[fiche.plan_id]
        if not _expected(fiche, campaign, (campaign.pk, fiche.pk) in reports):
            continue
        status = reports.get((campaign.pk, fiche.pk), Status.TO_DO)
        todos.append(
            Todo(
                campaign=campaign,
                fiche=fiche,
                status=status,
                status_label=labels[status],
                lateness=tracking.lateness(status, campaign.deadline, today),
                url=reverse(
                    "followup:report", args=[campaign.plan.slug, campaign.year, fiche.number]
                ),
            )
        )
    todos.sort(key=lambda t: (t.campaign.deadline, t.campaign.plan.title, t.fiche.position))
    return plan_ids, todos
