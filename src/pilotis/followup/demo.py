"""Demonstration campaigns (`pilotis demo_campaign`): plausible follow-up values, never real ones.

The values are drawn by a seeded random generator from the plan's own fiches, actions and
indicators, so that two runs on the same plan give the same campaigns. Every campaign made here
is marked `is_demo`: the pages, the reports and their files say « Données de démonstration », and
the command refuses to touch a year that already has a real campaign.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pilotis.followup import services
from pilotis.followup.models import (
    ActionStatus,
    Campaign,
    Decision,
    FicheReport,
    IndicatorValue,
    Validation,
)
from pilotis.followup.rollups import fold, is_evolution_text
from pilotis.plans.models import Plan

SEED = 2024
# The Carcassonne CLS as `seed_demo` imports it.
CARCASSONNE = "contrat-local-de-sante-de-carcassonne-agglo-2024-2029"

# Year 1 starts low, as a first year does; the scale is the paper one.
FIRST_YEAR_RATES = (0, 20, 20, 20, 40, 40, 40, 40, 60, 60, 80)
PEOPLE_WORDS = ("personne", "enfant", "jeune", "beneficiaire", "habitant", "participant", "patient")
OBSTACLES = (
    "Difficulté à mobiliser les professionnels libéraux sur des temps collectifs.",
    "Départ de la chargée de mission en cours d’année : actions décalées au second semestre.",
    "Financement attendu (appel à projets ARS) notifié tardivement.",
    "Salles disponibles insuffisantes dans les communes rurales.",
    "Faible participation des familles aux premières séances ; communication à revoir.",
)
REASONS = {
    "continue": "Avancement conforme au calendrier du contrat.",
    "strengthen": "Forte demande des familles : ouvrir un second cycle d’ateliers.",
    "reorient": "Public peu atteint : recentrer l’action sur les quartiers prioritaires.",
}
LATE_REASON = "Suivi non transmis à temps : point à refaire au prochain COPIL."


@dataclass(frozen=True)
class ActionShape:
    id: Hashable
    due_years: tuple[int, ...]


@dataclass(frozen=True)
class IndicatorShape:
    id: Hashable
    kind: str
    text: str


@dataclass(frozen=True)
class FicheShape:
    id: Hashable
    number: str
    actions: tuple[ActionShape, ...] = ()
    indicators: tuple[IndicatorShape, ...] = ()


@dataclass
class DemoReport:
    """One fiche's generated answers for a year."""

    status: str
    rate: int | None = None
    reached: bool | None = None
    obstacles: str = ""
    actions: dict[Hashable, str] = field(default_factory=dict)
    # indicator id: (number, text, unit)
    values: dict[Hashable, tuple[Decimal | None, str, str]] = field(default_factory=dict)


def _value(
    rng: random.Random,
    indicator: IndicatorShape,
    previous: tuple[Decimal | None, str, str] | None,
) -> tuple[Decimal | None, str, str] | None:
    """A value for the indicator, or None when the pilot left it empty."""
    text = fold(indicator.text)
    if indicator.kind == "monitoring" and is_evolution_text(indicator.text):
        return None  # computed from its result indicator, never typed
    if text.startswith(("pourcentage", "taux", "part ")):
        if previous and previous[0] is not None:
            return (min(Decimal(100), previous[0] + rng.randint(0, 15)), "", "%")
        return (Decimal(rng.randint(10, 60)), "", "%")
    if text.startswith("nombre"):
        if rng.random() < 0.25:
            return None
        if previous and previous[0] is not None:
            return (Decimal(round(int(previous[0]) * rng.uniform(0.9, 1.7))), "", "")
        people = any(word in text for word in PEOPLE_WORDS)
        return (Decimal(rng.randint(20, 300) if people else rng.randint(2, 30)), "", "")
    if rng.random() < 0.5:
        return None
    done = previous is not None or rng.random() < 0.3
    return (None, "Réalisé" if done else "En cours", "")


def generate_year(
    fiches: Sequence[FicheShape],
    year: int,
    rng: random.Random,
    previous: Mapping[Hashable, DemoReport] | None = None,
    *,
    late: int = 1,
    partly: bool = False,
) -> dict[Hashable, DemoReport]:
    """Every fiche's answers for contract year `year`; `late` fiches are left unsent."""
    previous = previous or {}
    late_ids = {f.id for f in rng.sample(list(fiches), min(late, len(fiches)))}
    with_obstacles = {f.id for f in rng.sample(list(fiches), min(3, len(fiches)))}
    out = {}
    for fiche in fiches:
        before = previous.get(fiche.id)
        if before is not None and before.rate is not None:
            rate = min(100, before.rate + rng.choice((0, 20, 20, 20, 40)))
        else:
            rate = rng.choice(FIRST_YEAR_RATES) + (20 if year > 1 else 0)
        if fiche.id in late_ids:
            # A late fiche: a draft begun, or nothing at all.
            status = rng.choice(("to_do", "in_progress"))
            out[fiche.id] = DemoReport(status, rate if status == "in_progress" else None)
            continue
        share = 0.45 + rate / 200  # a fiche further on has done more of its actions
        actions = {}
        for action in fiche.actions:
            if year not in action.due_years:
                continue
            draw = rng.random()
            if partly and draw < 0.12:
                actions[action.id] = "partly"
            else:
                actions[action.id] = "yes" if draw < share else "no"
        values = {}
        for indicator in fiche.indicators:
            earlier = before.values.get(indicator.id) if before else None
            value = _value(rng, indicator, earlier)
            if value is not None:
                values[indicator.id] = value
        out[fiche.id] = DemoReport(
            status=rng.choice(("submitted", "validated", "validated")),
            rate=rate,
            reached=True if rate >= 80 else (False if rate <= 40 else rng.random() < 0.4),
            obstacles=rng.choice(OBSTACLES) if fiche.id in with_obstacles else "",
            actions=actions,
            values=values,
        )
    return out


def decisions_for(
    fiches: Sequence[FicheShape], reports: Mapping[Hashable, DemoReport]
) -> dict[Hashable, str]:
    """The COPIL's decision per fiche: strengthen fiche 2 (as in the issue), reorient the fiches
    stuck at the bottom of the scale, continue the others."""
    out = {}
    for fiche in fiches:
        report = reports[fiche.id]
        if fiche.number == "2":
            out[fiche.id] = "strengthen"
        elif report.status in ("submitted", "validated") and report.rate == 0:
            out[fiche.id] = "reorient"
        else:
            out[fiche.id] = "continue"
    return out


# --- In the database ------------------------------------------------------------------------------


class RealCampaign(Exception):
    """The plan already has a real campaign for a demo year: nothing is written."""

    def __init__(self, years: Sequence[int]):
        super().__init__(years)
        self.years = list(years)


def shapes(plan: Plan) -> list[FicheShape]:
    fiches = list(plan.fiches.order_by("position", "pk").prefetch_related("actions", "indicators"))
    return [
        FicheShape(
            f.pk,
            f.number,
            tuple(
                ActionShape(a.pk, tuple(a.deadline_years or ()))
                for a in sorted(f.actions.all(), key=lambda a: (a.position, a.pk))
            ),
            tuple(
                IndicatorShape(i.pk, i.kind, i.text)
                for i in sorted(f.indicators.all(), key=lambda i: (i.position, i.pk))
            ),
        )
        for f in fiches
    ]


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _write(campaign: Campaign, reports: Mapping[Hashable, DemoReport], day: date) -> None:
    rows = {r.fiche_id: r for r in FicheReport.objects.filter(campaign=campaign)}
    statuses, values = [], []
    for fiche_id, demo in reports.items():
        row = rows[fiche_id]
        row.status = demo.status
        row.progress_rate = demo.rate
        row.objective_reached = demo.reached
        row.obstacles = demo.obstacles
        row.updated_at = _moment(day) if demo.status != "to_do" else None
        row.submitted_at = _moment(day) if demo.status in ("submitted", "validated") else None
        row.validated_at = _moment(day + timedelta(days=7)) if demo.status == "validated" else None
        for action_id, done in demo.actions.items():
            statuses.append(
                ActionStatus(plan_id=campaign.plan_id, report=row, action_id=action_id, done=done)
            )
        for indicator_id, (number, text, unit) in demo.values.items():
            values.append(
                IndicatorValue(
                    plan_id=campaign.plan_id,
                    report=row,
                    indicator_id=indicator_id,
                    value_number=number,
                    value_text=text,
                    unit=unit,
                )
            )
    FicheReport.objects.bulk_update(
        rows.values(),
        [
            "status",
            "progress_rate",
            "objective_reached",
            "obstacles",
            "updated_at",
            "submitted_at",
            "validated_at",
        ],
    )
    ActionStatus.objects.bulk_create(statuses)
    IndicatorValue.objects.bulk_create(values)


@dataclass
class Installed:
    campaign: Campaign
    transmitted: int
    pending: int
    decisions: int = 0
    replaced: bool = False


@transaction.atomic
def install(plan: Plan, today: date) -> list[Installed]:
    """Year 1, validated by a demo COPIL with one late fiche, and year 2, still open.

    Demo campaigns already there are replaced; a real campaign of either year stops everything
    (RealCampaign) before anything is written.
    """
    existing = {c.year: c for c in Campaign.objects.filter(plan=plan, year__in=(1, 2))}
    real = sorted(y for y, c in existing.items() if not c.is_demo)
    if real:
        raise RealCampaign(real)
    replaced = set(existing)
    remove(plan)
    fiches = shapes(plan)
    rng = random.Random(SEED)
    start = plan.start_year or today.year - 1
    year1 = generate_year(fiches, 1, rng, late=1)
    year2 = generate_year(fiches, 2, rng, year1, late=6, partly=True)
    done = []

    first = services.open_campaign(plan, 1, date(start + 1, 1, 31))
    Campaign.objects.filter(pk=first.pk).update(is_demo=True)
    _write(first, year1, date(start + 1, 1, 20))
    # Frozen and examined at the dates a real year 1 would have been, not today: the COPIL's
    # validation must come after the freeze.
    first.frozen_at = _moment(date(start + 1, 2, 14))
    first.snapshot = services.build_snapshot(first)
    first.status = Campaign.Status.FROZEN
    first.save(update_fields=["frozen_at", "snapshot", "status"])
    decided_on = date(start + 1, 3, 14)
    kinds = decisions_for(fiches, year1)
    for fiche in fiches:
        late = year1[fiche.id].status not in ("submitted", "validated")
        Decision.objects.create(
            plan=plan,
            campaign=first,
            fiche_id=fiche.id,
            kind=kinds[fiche.id],
            reason=LATE_REASON if late else REASONS[kinds[fiche.id]],
            decided_at=_moment(decided_on),
        )
    Validation.objects.create(plan=plan, campaign=first, validated_on=decided_on)
    Campaign.objects.filter(pk=first.pk).update(status=Campaign.Status.VALIDATED)
    done.append(_installed(first, year1, 1 in replaced, len(fiches)))

    # Year 2 is the campaign under way: open, its deadline a fortnight away.
    second = services.open_campaign(plan, 2, today + timedelta(days=14), allow_partial=True)
    Campaign.objects.filter(pk=second.pk).update(is_demo=True)
    _write(second, year2, today - timedelta(days=3))
    done.append(_installed(second, year2, 2 in replaced))
    return done


def _installed(campaign, reports, replaced, decisions=0) -> Installed:
    campaign.refresh_from_db()
    transmitted = sum(r.status in ("submitted", "validated") for r in reports.values())
    return Installed(campaign, transmitted, len(reports) - transmitted, decisions, replaced)


def remove(plan: Plan) -> int:
    """Delete the plan's demo campaigns (their reports, values and decisions go with them)."""
    campaigns = Campaign.objects.filter(plan=plan, is_demo=True)
    count = campaigns.count()
    for campaign in campaigns:
        # Decisions keep their fiche (RESTRICT) but go with their campaign: delete them first so
        # that the order of the cascade never matters.
        Decision.objects.filter(campaign=campaign).delete()
        campaign.delete()
    return count
