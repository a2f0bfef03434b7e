"""Reads a plan and its follow-up into the plain report model, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from pilotis.followup import models as followup
from pilotis.plans import publics as plan_publics
from pilotis.plans.models import Action, Fiche, FicheIndicator, FicheRole, Plan, Section
from pilotis.reports.model import (
    ActionData,
    CampaignData,
    DecisionData,
    ErratumData,
    FicheData,
    IndicatorData,
    PlanData,
    ReportData,
    SectionData,
    ValueData,
)

STEERING = (FicheRole.Role.PILOT, FicheRole.Role.COPILOT)

# The queries load_plan_data makes, whatever the number of fiches, campaigns or years: sections,
# section weights, fiches, roles, actions, indicators, follow-up settings, campaigns, validations,
# reports, action statuses, indicator values, decisions, errata. Pinned by the tests.
QUERIES = 14


def load_plan_data(plan: Plan) -> PlanData:
    """Everything the reports show of `plan`, every year: `QUERIES` queries.

    Rows are read as tuples (values_list), not model instances: a region's 600 plans go through
    here in the ARS-wide bench, and the report model needs plain values anyway. Follow-up rows
    are filtered on their `plan` column, the key they would be sharded by.
    """
    # Read on their own rather than joined to the sections: follow-up rows are found by their
    # plan column, the key they would be sharded by.
    section_weights = dict(
        followup.SectionFollowup.objects.filter(plan=plan).values_list("section_id", "weight")
    )
    sections = tuple(
        SectionData(*row, weight=section_weights.get(row[0], 1))
        for row in Section.objects.filter(plan=plan)
        .order_by("position", "pk")
        .values_list("pk", "parent_id", "number", "title", "depth")
    )
    fiche_rows = list(
        Fiche.objects.filter(plan=plan)
        .order_by("position", "pk")
        .values_list("pk", "number", "title", "section_id", "public")
    )
    pilots: dict[int, list[str]] = defaultdict(list)
    partners: dict[int, list[str]] = defaultdict(list)
    for fiche_id, role, name in (
        FicheRole.objects.filter(fiche__plan=plan)
        .order_by("fiche_id", "position", "pk")
        .values_list("fiche_id", "role", "organisation__name")
    ):
        (pilots if role in STEERING else partners)[fiche_id].append(name)
    actions: dict[int, list[ActionData]] = defaultdict(list)
    for fiche_id, *row in (
        Action.objects.filter(fiche__plan=plan)
        .order_by("fiche_id", "position", "pk")
        .values_list("fiche_id", "pk", "letter", "text", "deadline_years", "deadline_as_written")
    ):
        pk, letter, text, years, as_written = row
        actions[fiche_id].append(ActionData(pk, letter, text, tuple(years or ()), as_written))
    indicators: dict[int, list[IndicatorData]] = defaultdict(list)
    for fiche_id, pk, kind, letters, text in (
        FicheIndicator.objects.filter(fiche__plan=plan)
        .order_by("fiche_id", "position", "pk")
        .values_list("fiche_id", "pk", "kind", "action_letters", "text")
    ):
        indicators[fiche_id].append(IndicatorData(pk, kind, tuple(letters or ()), text))
    settings = {
        fiche_id: (weight, stopped)
        for fiche_id, weight, stopped in followup.FicheFollowup.objects.filter(
            plan=plan
        ).values_list("fiche_id", "weight", "stopped_year")
    }
    fiches = tuple(
        FicheData(
            id=pk,
            number=number,
            title=title,
            section_id=section_id,
            public=public,
            pilots=tuple(dict.fromkeys(pilots[pk])),
            partners=tuple(dict.fromkeys(partners[pk])),
            actions=tuple(actions[pk]),
            indicators=tuple(indicators[pk]),
            weight=settings.get(pk, (1, None))[0],
            stopped_year=settings.get(pk, (1, None))[1],
        )
        for pk, number, title, section_id, public in fiche_rows
    )
    return PlanData(
        slug=plan.slug,
        title=plan.title,
        kind_label=plan.get_kind_display(),
        # The view selects the perimeter with the plan; a plain Plan costs one more query here.
        territory=plan.perimeter.name if plan.perimeter_id else "",
        signature_date=plan.signature_date,
        start_year=plan.start_year,
        duration_years=plan.duration_years,
        levels=tuple(plan.levels or ()),
        sections=sections,
        fiches=fiches,
        campaigns=_campaigns(plan),
        decisions=_decisions(plan),
        errata=_errata(plan),
        public_vocabulary=plan_publics.vocabulary((plan.extra or {}).get("publics")),
    )


def _campaigns(plan: Plan) -> tuple[CampaignData, ...]:
    campaign_rows = list(
        followup.Campaign.objects.filter(plan=plan)
        .order_by("year")
        .values_list("pk", "year", "status", "deadline", "frozen_at", "is_demo")
    )
    validated = dict(
        followup.Validation.objects.filter(plan=plan).values_list("campaign_id", "validated_on")
    )
    statuses: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for report_id, action_id, done, comment in followup.ActionStatus.objects.filter(
        plan=plan
    ).values_list("report_id", "action_id", "done", "comment"):
        statuses[report_id][action_id] = (done, comment)
    values: dict[int, dict[int, ValueData]] = defaultdict(dict)
    for report_id, indicator_id, *row in followup.IndicatorValue.objects.filter(
        plan=plan
    ).values_list(
        "report_id", "indicator_id", "value_number", "value_text", "unit", "baseline", "target"
    ):
        values[report_id][indicator_id] = ValueData(*row)
    report_labels = dict(followup.FicheReport.Status.choices)
    reports: dict[int, dict[int, ReportData]] = defaultdict(dict)
    for (
        pk,
        campaign_id,
        fiche_id,
        status,
        rate,
        reached,
        obstacles,
        comment,
    ) in followup.FicheReport.objects.filter(plan=plan).values_list(
        "pk",
        "campaign_id",
        "fiche_id",
        "status",
        "progress_rate",
        "objective_reached",
        "obstacles",
        "comment",
    ):
        reports[campaign_id][fiche_id] = ReportData(
            fiche_id=fiche_id,
            status=status,
            status_label=report_labels.get(status, status),
            progress_rate=rate,
            objective_reached=reached,
            obstacles=obstacles,
            comment=comment,
            actions=statuses.get(pk, {}),
            values=values.get(pk, {}),
        )
    campaign_labels = dict(followup.Campaign.Status.choices)
    return tuple(
        CampaignData(
            year=year,
            status=status,
            status_label=campaign_labels.get(status, status),
            deadline=deadline,
            frozen_at=frozen_at,
            validated_on=validated.get(pk),
            is_demo=is_demo,
            reports=reports.get(pk, {}),
        )
        for pk, year, status, deadline, frozen_at, is_demo in campaign_rows
    )


def _decisions(plan: Plan) -> tuple[DecisionData, ...]:
    labels = dict(followup.Decision.Kind.choices)
    rows = (
        followup.Decision.objects.filter(plan=plan)
        .order_by("campaign__year", "pk")
        .values_list(
            "fiche_id", "campaign__year", "kind", "reason", "new_action_text", "decided_at"
        )
    )
    return tuple(
        DecisionData(
            fiche_id=fiche_id,
            year=year,
            kind=kind,
            kind_label=labels.get(kind, kind),
            reason=reason,
            new_action=new_action,
            # The day as the COPIL's members lived it, not in UTC.
            decided_on=timezone.localdate(decided_at) if decided_at else None,
        )
        for fiche_id, year, kind, reason, new_action, decided_at in rows
    )


def _errata(plan: Plan) -> tuple[ErratumData, ...]:
    rows = (
        followup.Erratum.objects.filter(plan=plan)
        .order_by("created_at", "pk")
        .values_list(
            "fiche_id", "campaign__year", "field_label", "before", "after", "reason", "created_at"
        )
    )
    return tuple(
        ErratumData(
            fiche_id=fiche_id,
            year=year,
            field_label=label,
            before=before,
            after=after,
            reason=reason,
            recorded_on=timezone.localdate(created_at),
        )
        for fiche_id, year, label, before, after, reason, created_at in rows
    )
