"""Follow-up endpoints: a plan's campaigns, and the yearly report of a fiche, read and written.

Writes go through the follow-up app itself: its ReportForm validates (the same rules and French
messages as the page), its save_report() stores with the optimistic version check, its perms
decide. This module only translates between JSON and the form's fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router
from ninja.errors import HttpError

from pilotis.api import schemas
from pilotis.api.auth import WRITE_AUTH
from pilotis.api.errors import json_error, validation_failed
from pilotis.api.read import FicheNumber, get_fiche, get_plan, paginate
from pilotis.core.people import person_name
from pilotis.followup import perms, services, tracking
from pilotis.followup.forms import (
    ReportForm,
    action_field,
    fingerprint,
    indicator_field,
    read_fingerprint,
    stored_values,
)
from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from pilotis.plans.models import Action, Fiche, FicheIndicator, Plan

router = Router(tags=["Suivi annuel"])

CampaignYear = Path(..., ge=1, le=100, description="Année du contrat (1 = année de signature).")
INTENTS = {"draft": services.DRAFT, "submit": services.SUBMIT, "validate": services.VALIDATE}
READ_ERRORS = {400: schemas.FieldErrors, 401: schemas.Error, 404: schemas.Error}
# Form field part → JSON name of an indicator value.
INDICATOR_PARTS = {
    "number": "value_number",
    "text": "value_text",
    "unit": "unit",
    "baseline": "baseline",
    "target": "target",
}


def _campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "year": campaign.year,
        "calendar_year": campaign.calendar_year,
        "deadline": campaign.deadline,
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "allow_partial": campaign.allow_partial,
    }


def _followed_plan(request: HttpRequest, slug: str) -> Plan:
    plan = get_plan(request, slug)
    if not perms.can_view_followup(request.user, plan):
        raise Http404
    return plan


@router.get(
    "/plans/{slug:slug}/campaigns",
    response={200: schemas.CampaignPage, **READ_ERRORS},
    summary="Campagnes de suivi d'un plan",
)
def list_campaigns(request: HttpRequest, slug: str, page: Query[schemas.PageParams]):
    """Les campagnes annuelles du plan (membres du plan seulement), par année du contrat."""
    plan = _followed_plan(request, slug)

    def build(campaign: Campaign) -> dict[str, Any]:
        campaign.plan = plan  # for its calendar year, without a query per campaign
        return _campaign_json(campaign)

    return paginate(plan.campaigns.order_by("year", "pk"), page, build)


# --- The report of a fiche -----------------------------------------------------------------------


@dataclass
class Loaded:
    """A report with what its form needs: the actions due that year, the indicators, the rows."""

    report: FicheReport
    actions: list[Action]
    indicators: list[FicheIndicator]
    statuses: dict[int, ActionStatus]
    values: dict[int, IndicatorValue]

    @property
    def stored(self) -> dict[str, str]:
        return stored_values(self.report, self.actions, self.indicators, self.statuses, self.values)

    def reload_rows(self) -> None:
        self.statuses = {s.action_id: s for s in ActionStatus.objects.filter(report=self.report)}
        self.values = {v.indicator_id: v for v in IndicatorValue.objects.filter(report=self.report)}


def _load(request: HttpRequest, slug: str, year: int, number: str) -> Loaded:
    plan = _followed_plan(request, slug)
    campaign = plan.campaigns.filter(year=year).first()
    if campaign is None:
        raise Http404
    campaign.plan = plan
    fiche: Fiche = get_fiche(request, plan, number)
    report = FicheReport.objects.filter(campaign=campaign, fiche=fiche).first()
    # Checked on an unsaved report when there is none yet: nothing is created for a refused caller.
    report = report or FicheReport(plan=plan, campaign=campaign, fiche=fiche)
    report.campaign, report.fiche = campaign, fiche
    if not perms.can_view_report(request.user, report):
        raise Http404
    if report.pk is None:
        try:
            report = services.report_for(campaign, fiche)
        except services.FicheStopped as exc:
            # The caller may read the fiche: saying why there is no report leaks nothing.
            raise HttpError(404, exc.message) from exc
        report.campaign, report.fiche = campaign, fiche
    loaded = Loaded(
        report=report,
        actions=tracking.actions_due(fiche.actions.order_by("position", "pk"), campaign.year),
        indicators=list(fiche.indicators.order_by("kind", "position", "pk")),
        statuses={},
        values={},
    )
    loaded.reload_rows()
    return loaded


def _report_json(request: HttpRequest, loaded: Loaded) -> dict[str, Any]:
    report = loaded.report
    campaign, fiche = report.campaign, report.fiche
    return {
        "plan": campaign.plan.slug,
        "campaign": _campaign_json(campaign),
        "fiche": {"number": fiche.number, "title": fiche.title},
        "status": report.status,
        "status_label": report.get_status_display(),
        "progress_rate": report.progress_rate,
        "objective_reached": report.objective_reached,
        "obstacles": report.obstacles,
        "comment": report.comment,
        "version": report.version,
        "fingerprint": fingerprint(loaded.stored),
        "updated_by": person_name(report.updated_by),
        "updated_at": report.updated_at,
        "submitted_at": report.submitted_at,
        "validated_at": report.validated_at,
        "can_edit": perms.can_edit_report(request.user, report),
        "actions": [
            {
                "id": action.pk,
                "letter": action.letter,
                "text": action.text,
                "done": (status.done or None)
                if (status := loaded.statuses.get(action.pk))
                else None,
                "comment": status.comment if status else "",
            }
            for action in loaded.actions
        ],
        "indicators": [
            {
                "id": indicator.pk,
                "kind": indicator.kind,
                "text": indicator.text,
                "action_letters": list(indicator.action_letters),
                "value_number": value.value_number if value else None,
                "value_text": value.value_text if value else "",
                "unit": value.unit if value else "",
                "baseline": value.baseline if value else "",
                "target": value.target if value else "",
            }
            for indicator in loaded.indicators
            for value in [loaded.values.get(indicator.pk)]
        ],
    }


@router.get(
    "/plans/{slug:slug}/campaigns/{year}/reports/{number}",
    response={200: schemas.Report, **READ_ERRORS},
    summary="Suivi annuel d'une fiche",
)
def report_detail(
    request: HttpRequest, slug: str, year: int = CampaignYear, number: str = FicheNumber
):
    """Le suivi de la fiche pour cette année du contrat : état, taux d'avancement, actions
    prévues, valeurs des indicateurs, et la version à renvoyer pour le modifier."""
    return _report_json(request, _load(request, slug, year, number))


# --- Writing a report ----------------------------------------------------------------------------


def _refusal(user, report: FicheReport, intent: str) -> str | None:
    """Why the caller may not save with this intent (perms decide; the message explains)."""
    check = perms.can_validate_report if intent == services.VALIDATE else perms.can_edit_report
    if check(user, report):
        return None
    if not report.campaign.is_open:
        return "Cette campagne est figée : son suivi n'est plus modifiable."
    if report.status == FicheReport.Status.VALIDATED:
        return "Ce suivi est validé par la coordination : il n'est plus modifiable."
    if intent == services.VALIDATE:
        return "Seule la coordination du plan valide un suivi."
    return (
        "Vous ne pouvez pas modifier le suivi de cette fiche : seuls les pilotes de ses "
        "organisations pilotes ou co-pilotes et la coordination le peuvent."
    )


class _Touched(dict):
    """A dict remembering which keys were set after it was built: the fields the payload sends."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.touched: set[str] = set()

    def __setitem__(self, key: str, value: str) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)


def _form_data(
    loaded: Loaded, payload: schemas.ReportUpdate
) -> tuple[_Touched, dict[str, str], dict[str, list[str]]]:
    """The form's data: the stored values with the payload's fields over them.

    Returns the data, the JSON path of each form field (for error messages) and the errors of
    actions or indicators the payload names but the report does not have.
    """
    data = _Touched(loaded.stored)
    paths = {"progress_rate": "progress_rate", "objective_reached": "objective_reached"}
    paths |= {"obstacles": "obstacles", "comment": "comment", "version": "version"}
    errors: dict[str, list[str]] = {}
    sent = payload.model_fields_set
    if "progress_rate" in sent:
        rate = payload.progress_rate
        data["progress_rate"] = "" if rate is None else str(rate)
    if "objective_reached" in sent:
        data["objective_reached"] = {True: "yes", False: "no", None: ""}[payload.objective_reached]
    for name in ("obstacles", "comment"):
        if name in sent:
            data[name] = getattr(payload, name) or ""

    for action in loaded.actions:
        for part in ("done", "comment"):
            paths[action_field(action, part)] = f"actions.{action.letter}.{part}"
    seen: set[int] = set()
    for i, item in enumerate(payload.actions):
        matches = [a for a in loaded.actions if a.letter.casefold() == item.letter.casefold()]
        if len(matches) != 1:
            due = ", ".join(a.letter for a in loaded.actions) or "aucune"
            errors[f"actions.{i}.letter"] = [
                f"Aucune action « {item.letter} » n'est prévue cette année-là pour cette fiche "
                f"(actions prévues : {due})."
                if not matches
                else f"Plusieurs actions portent la lettre « {item.letter} »."
            ]
            continue
        action = matches[0]
        if action.pk in seen:
            errors[f"actions.{i}.letter"] = [f"L'action « {item.letter} » est donnée deux fois."]
            continue
        seen.add(action.pk)
        if "done" in item.model_fields_set:
            data[action_field(action, "done")] = item.done or ""
        if "comment" in item.model_fields_set:
            data[action_field(action, "comment")] = item.comment or ""

    by_id = {indicator.pk: indicator for indicator in loaded.indicators}
    for indicator in loaded.indicators:
        for part, name in INDICATOR_PARTS.items():
            paths[indicator_field(indicator, part)] = f"indicators.{indicator.pk}.{name}"
    seen = set()
    for i, item in enumerate(payload.indicators):
        indicator = by_id.get(item.id)
        if indicator is None or item.id in seen:
            errors[f"indicators.{i}.id"] = [
                "Cet indicateur est donné deux fois."
                if indicator
                else "Cette fiche n'a pas d'indicateur portant cet identifiant."
            ]
            continue
        seen.add(item.id)
        for part, name in INDICATOR_PARTS.items():
            if name not in item.model_fields_set:
                continue
            value = getattr(item, name)
            if name == "value_number":
                value = "" if value is None else format(value, "f")
            data[indicator_field(indicator, part)] = value or ""
    data.update(version=str(payload.version), loaded=payload.fingerprint or "")
    return data, paths, errors


def _changed_meanwhile(
    form: ReportForm, sent: _Touched, current: dict[str, str], paths: dict[str, str]
) -> list[dict[str, str]]:
    """The fields someone else changed since the caller read the report.

    With the fingerprint the caller read, exactly as the page tells it; without it, the fields
    the caller sends whose stored value is no longer the one it had (it cannot be told apart).
    """
    if form.data.get("loaded"):
        names = tracking.changed_fields(
            read_fingerprint(form.data["loaded"]), json.loads(fingerprint(current))
        )
    else:
        names = [n for n, v in current.items() if n in sent.touched and sent[n] != v]
    return [
        {
            "field": paths.get(name, name),
            "label": form.field_label(name),
            "value": form.describe(name, current[name]),
        }
        for name in names
        if name in form.fields
    ]


@router.patch(
    "/plans/{slug:slug}/campaigns/{year}/reports/{number}",
    auth=WRITE_AUTH,
    response={
        200: schemas.Report,
        400: schemas.FieldErrors,
        401: schemas.Error,
        403: schemas.Error,
        404: schemas.Error,
        409: schemas.Conflict,
        413: schemas.Error,
        415: schemas.Error,
    },
    summary="Modifier le suivi annuel d'une fiche",
)
def update_report(
    request: HttpRequest,
    slug: str,
    payload: schemas.ReportUpdate,
    year: int = CampaignYear,
    number: str = FicheNumber,
):
    """Enregistre les champs envoyés (les autres restent tels quels), avec les mêmes règles que
    la page de suivi : pilotes des organisations pilotes ou co-pilotes de la fiche et
    coordination, campagne ouverte, suivi non validé.

    `version` est celle lue : si quelqu'un a enregistré entre-temps, rien n'est écrit et la
    réponse 409 liste les champs modifiés (renvoyez `fingerprint` pour une liste exacte).
    Les erreurs de saisie (400) sont rangées par champ : `progress_rate`,
    `actions.<lettre>.done`, `indicators.<id>.value_number`…"""
    loaded = _load(request, slug, year, number)
    report, user = loaded.report, request.user
    intent = INTENTS[payload.intent]
    refusal = _refusal(user, report, intent)
    if refusal:
        return json_error(403, refusal)
    data, paths, errors = _form_data(loaded, payload)
    if errors:
        return validation_failed(errors)
    form = ReportForm(
        data,
        actions=loaded.actions,
        indicators=loaded.indicators,
        allow_partial=report.campaign.allow_partial,
        intent=intent,
    )
    if not form.is_valid():
        return validation_failed(
            {paths.get(name, name): list(messages) for name, messages in form.errors.items()}
        )
    try:
        services.save_report(
            report,
            form.report_data(),
            version=form.cleaned_data["version"],
            user=user,
            intent=intent,
            actions=loaded.actions,
            indicators=loaded.indicators,
            statuses=loaded.statuses,
            values=loaded.values,
        )
    except services.StaleReport:
        campaign, fiche = report.campaign, report.fiche
        report.refresh_from_db()
        report.campaign, report.fiche = campaign, fiche
        loaded.reload_rows()
        current = loaded.stored
        return json_error(
            409,
            f"Ce suivi a été modifié par quelqu'un d'autre depuis la version {payload.version} : "
            f"rien n'a été enregistré. Relisez les champs modifiés puis renvoyez votre saisie "
            f"avec la version {report.version}.",
            current_version=report.version,
            changed_fields=_changed_meanwhile(form, data, current, paths),
        )
    loaded.reload_rows()
    return _report_json(request, loaded)
