"""Changes to the follow-up data, each in one transaction: open, save, validate, freeze."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from pilotis.core import history
from pilotis.core.people import person_name
from pilotis.followup.models import (
    ActionStatus,
    Campaign,
    FicheFollowup,
    FicheReport,
    IndicatorValue,
)
from pilotis.plans.models import Action, Fiche, FicheIndicator, Plan

Status = FicheReport.Status


class CampaignExists(Exception):
    """The campaign of that year was opened meanwhile (by another coordinator)."""


class StaleReport(Exception):
    """The report was saved by someone else since the form was loaded."""


@transaction.atomic
def open_campaign(
    plan: Plan,
    year: int,
    deadline: date,
    *,
    allow_partial: bool = False,
    opened_by: AbstractBaseUser | None = None,
) -> Campaign:
    """Open the campaign of contract year `year`, with a report « À faire » for every fiche.

    All reports are created at once (one INSERT for the 55 fiches of a CLS) rather than when a
    pilot first opens a fiche: "to do" is then a stored state like the others, so the dashboard
    and the reminders count and filter reports with plain queries, and a fiche nobody opened
    cannot be mistaken for a fiche without follow-up. Fiches added to the plan later get theirs
    from report_for().
    """
    if not 1 <= year <= plan.duration_years:
        raise ValueError(f"Year {year} is outside the plan's {plan.duration_years} years.")
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                plan=plan,
                year=year,
                deadline=deadline,
                allow_partial=allow_partial,
                opened_by=opened_by,
            )
    except IntegrityError as exc:
        raise CampaignExists(year) from exc
    # A fiche the COPIL stopped in an earlier year is expected no more.
    stopped = FicheFollowup.objects.filter(plan=plan, stopped_year__lt=year).values("fiche_id")
    history.bulk_create(
        FicheReport,
        [
            FicheReport(plan=plan, campaign=campaign, fiche_id=fiche_id)
            for fiche_id in plan.fiches.exclude(pk__in=stopped)
            .exclude(archived=True)  # archived fiches left the plan
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        ],
        user=opened_by,
        reason=f"Ouverture de la campagne de l’{campaign.year_label}",
    )
    return campaign


class FicheStopped(Exception):
    """The COPIL stopped the fiche before this contract year: no report is expected from it."""

    def __init__(self, fiche: Fiche, stopped_year: int):
        super().__init__(fiche, stopped_year)
        self.message = (
            f"La fiche n°{fiche.number} a été arrêtée par le COPIL après l’année "
            f"{stopped_year} du contrat : aucun suivi n’est attendu pour les années suivantes."
        )


class FicheArchived(FicheStopped):
    """The fiche was archived before this campaign: no report is expected from it."""

    def __init__(self, fiche: Fiche):
        self.message = (
            f"La fiche n°{fiche.number} est archivée : elle ne fait plus partie du plan en cours "
            "et aucun suivi n’est attendu d’elle dans cette campagne."
        )
        Exception.__init__(self, self.message)


def expected_fiches(campaign: Campaign) -> Q:
    """A filter on Fiche keeping those the campaign expects a report from: not stopped by the
    COPIL in an earlier year, and not archived — unless it already has its report (archived
    after the campaign opened: its report stays)."""
    return ~Q(followup__stopped_year__lt=campaign.year) & (
        Q(archived=False) | Q(pk__in=campaign.reports.values("fiche_id"))
    )


def current_parts(parts: Iterable, stored_ids: Container[int]) -> list:
    """Actions or indicators asked in a report: those not archived, and archived ones whose
    answer the report already holds."""
    return [p for p in parts if not p.archived or p.pk in stored_ids]


def report_for(campaign: Campaign, fiche: Fiche) -> FicheReport:
    """The fiche's report in the campaign, created « À faire » for a fiche added since opening.

    Raises FicheStopped for a fiche the COPIL stopped in an earlier year, which has none.
    """
    # The editors come along: the report page names them.
    found = FicheReport.objects.select_related("updated_by", "validated_by").filter(
        campaign=campaign, fiche=fiche
    )
    report = found.first()
    if report is not None:
        return report
    stopped = (
        FicheFollowup.objects.filter(fiche=fiche, stopped_year__lt=campaign.year)
        .values_list("stopped_year", flat=True)
        .first()
    )
    if stopped is not None:
        raise FicheStopped(fiche, stopped)
    if fiche.archived:
        raise FicheArchived(fiche)
    report, _ = found.get_or_create(
        campaign=campaign, fiche=fiche, defaults={"plan_id": campaign.plan_id}
    )
    return report


@dataclass
class ReportData:
    """What a report form carries once validated: the report's own fields and its rows."""

    progress_rate: int | None
    objective_reached: bool | None
    obstacles: str
    comment: str
    # action id → (done, comment)
    actions: Mapping[int, tuple[str, str]]
    # indicator id → {"value_number", "value_text", "unit", "baseline", "target"}
    indicators: Mapping[int, Mapping[str, Any]]


SUBMIT, DRAFT, VALIDATE = "submit", "draft", "validate"
_STATUS_AFTER = {DRAFT: Status.IN_PROGRESS, SUBMIT: Status.SUBMITTED, VALIDATE: Status.VALIDATED}


@transaction.atomic
def save_report(
    report: FicheReport,
    data: ReportData,
    *,
    version: int,
    user: AbstractBaseUser,
    intent: str,
    actions: Sequence[Action],
    indicators: Sequence[FicheIndicator],
    statuses: Mapping[int, ActionStatus],
    values: Mapping[int, IndicatorValue],
) -> FicheReport:
    """Store `data` as the report's new state if nobody saved it since `version`.

    `intent` is DRAFT (« En cours »), SUBMIT (« Transmise ») or VALIDATE (coordinators). Raises
    StaleReport, with nothing written, when the stored version moved on. `statuses` and `values`
    are the rows already stored, by action and indicator id.
    """
    # Compare-and-set on the version first: one atomic UPDATE, so two saves racing from the same
    # version cannot both pass (the row stays locked until commit on PostgreSQL, and SQLite
    # serialises writers). The fields are then written with save(), so that model signals
    # (history, once django-simple-history records these models) see every change.
    bumped = FicheReport.objects.filter(pk=report.pk, version=version).update(version=version + 1)
    if not bumped:
        raise StaleReport(report.pk)
    now = timezone.now()
    report.version = version + 1
    report.progress_rate = data.progress_rate
    report.objective_reached = data.objective_reached
    report.obstacles = data.obstacles
    report.comment = data.comment
    report.updated_by = user
    report.updated_at = now
    report.status = _STATUS_AFTER[intent]
    # Named explicitly: an API call authenticated by token has no session user for the history
    # middleware to find.
    report._history_user = user
    if intent == SUBMIT:
        report.submitted_at = now
    elif intent == DRAFT:
        # Back to a draft: the report no longer counts as transmitted.
        report.submitted_at = None
    elif intent == VALIDATE:
        report.validated_by = user
        report.validated_at = now
    report.save()
    for action in actions:
        done, comment = data.actions[action.pk]
        _save_row(
            statuses.get(action.pk),
            ActionStatus,
            {"done": done, "comment": comment},
            user=user,
            plan_id=report.plan_id,
            report=report,
            action=action,
        )
    for indicator in indicators:
        _save_row(
            values.get(indicator.pk),
            IndicatorValue,
            dict(data.indicators[indicator.pk]),
            user=user,
            plan_id=report.plan_id,
            report=report,
            indicator=indicator,
        )
    return report


def _save_row(row, model, fields: dict[str, Any], *, user, **keys) -> None:
    """Create the row, or save it when one of `fields` changed; an untouched empty row is not
    created (a draft saved before anything was typed adds no rows)."""
    if row is None:
        if not any(v not in ("", None) for v in fields.values()):
            return
        row = model(**keys, **fields)
        row._history_user = user
        row.save()
        return
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, fields[name])
        row._history_user = user
        row.save(update_fields=changed)


def set_status(report: FicheReport, status: str, user: AbstractBaseUser) -> None:
    """Change only the state (a coordinator reopening a validated report), bumping the version
    so that a form loaded before cannot overwrite the change."""
    report.status = status
    report.version += 1
    report.updated_by = user
    report.updated_at = timezone.now()
    if status != Status.VALIDATED:
        report.validated_by = None
        report.validated_at = None
    report._history_user = user
    report.save()


def update_campaign(campaign: Campaign, *, deadline: date, allow_partial: bool) -> None:
    campaign.deadline = deadline
    campaign.allow_partial = allow_partial
    campaign.save(update_fields=["deadline", "allow_partial"])


def partly_answers(campaign: Campaign) -> int:
    """How many action statuses of the campaign say « En partie »."""
    return ActionStatus.objects.filter(
        report__campaign=campaign, done=ActionStatus.Done.PARTLY
    ).count()


@transaction.atomic
def freeze_campaign(campaign: Campaign) -> Campaign:
    """Freeze the campaign: the reports' current content is kept as its snapshot.

    The COPIL works from the snapshot; the reports stay as they are and nobody may edit them
    any more (perms: the campaign is no longer open).
    """
    locked = Campaign.objects.select_for_update().select_related("plan").get(pk=campaign.pk)
    if not locked.is_open:
        return locked
    locked.frozen_at = timezone.now()
    locked.snapshot = build_snapshot(locked)
    locked.status = Campaign.Status.FROZEN
    locked.save(update_fields=["frozen_at", "snapshot", "status"])
    return locked


def _json_decimal(value: Decimal | None) -> str | None:
    # A string, not a float: the snapshot keeps the exact figure typed.
    return None if value is None else format(value.normalize(), "f")


def build_snapshot(campaign: Campaign) -> dict[str, Any]:
    """The campaign's reports as plain JSON: four queries, whatever the number of fiches."""
    reports = list(
        FicheReport.objects.filter(campaign=campaign)
        .select_related("fiche", "updated_by", "validated_by")
        .order_by("fiche__position", "fiche__pk")
    )
    statuses: dict[int, list[dict[str, Any]]] = {}
    for row in (
        ActionStatus.objects.filter(report__campaign=campaign)
        .select_related("action")
        .order_by("action__position", "action__pk")
    ):
        statuses.setdefault(row.report_id, []).append(
            {
                "letter": row.action.letter,
                "text": row.action.text,
                "done": row.done or None,
                "comment": row.comment,
            }
        )
    values: dict[int, list[dict[str, Any]]] = {}
    for row in (
        IndicatorValue.objects.filter(report__campaign=campaign)
        .select_related("indicator")
        .order_by("indicator__kind", "indicator__position", "indicator__pk")
    ):
        values.setdefault(row.report_id, []).append(
            {
                "kind": row.indicator.kind,
                "text": row.indicator.text,
                "action_letters": list(row.indicator.action_letters),
                "value_number": _json_decimal(row.value_number),
                "value_text": row.value_text,
                "unit": row.unit,
                "baseline": row.baseline,
                "target": row.target,
            }
        )

    return {
        "plan": campaign.plan.slug,
        "year": campaign.year,
        "calendar_year": campaign.calendar_year,
        "deadline": campaign.deadline.isoformat(),
        "frozen_at": campaign.frozen_at.isoformat() if campaign.frozen_at else None,
        "reports": [
            {
                "fiche": r.fiche.number,
                "title": r.fiche.title,
                "status": r.status,
                "progress_rate": r.progress_rate,
                "objective_reached": r.objective_reached,
                "obstacles": r.obstacles,
                "comment": r.comment,
                "version": r.version,
                "updated_by": person_name(r.updated_by),
                "updated_at": r.updated_at.isoformat() if r.updated_at else None,
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "validated_by": person_name(r.validated_by),
                "validated_at": r.validated_at.isoformat() if r.validated_at else None,
                "actions": statuses.get(r.pk, []),
                "indicators": values.get(r.pk, []),
            }
            for r in reports
        ],
    }
