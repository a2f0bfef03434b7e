"""The COPIL cycle of a frozen campaign: a decision per fiche, the validation, errata.

Each change is one transaction that locks the campaign row first, so that a validation and a
late decision racing each other are serialised: a decision is only recorded on a frozen (not yet
validated) campaign, an erratum only on a validated one. Decisions that change the plan (a new
action, a stopped fiche) are carried over when the COPIL validates, with their history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format

from pilotis.core.people import person_name
from pilotis.followup.models import (
    PROGRESS_RATES,
    ActionStatus,
    Campaign,
    Decision,
    Erratum,
    FicheFollowup,
    FicheReport,
    IndicatorValue,
    Validation,
)
from pilotis.plans.models import ACTION_ORIGIN_KEY, Action, Fiche

Kind = Decision.Kind
# Kinds of decision that change the fiche's course and must say why (« Poursuite » need not).
REASON_REQUIRED = frozenset({Kind.STRENGTHEN, Kind.REORIENT, Kind.STOP, Kind.NEW_ACTION})
DEFAULT_CONTINUE_REASON = "Poursuite retenue à la validation, sans décision particulière."


class WrongState(Exception):
    """The campaign is not (or no longer) in the state the change needs."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleDecision(Exception):
    """Someone recorded another decision on the fiche since the form was loaded."""

    def __init__(self, current: Decision | None):
        super().__init__(current)
        self.current = current


def _locked(campaign: Campaign, *expected: str) -> Campaign:
    locked = Campaign.objects.select_for_update().select_related("plan").get(pk=campaign.pk)
    if locked.status not in expected:
        raise WrongState(STATE_MESSAGES[locked.status])
    return locked


STATE_MESSAGES = {
    Campaign.Status.OPEN: "La campagne est encore ouverte : le COPIL l’examine une fois figée.",
    Campaign.Status.FROZEN: "L’évaluation de cette année n’est pas encore validée.",
    Campaign.Status.VALIDATED: "L’évaluation de cette année est déjà validée : une correction "
    "passe par un erratum.",
}


# --- Decisions -----------------------------------------------------------------------------------


def decision_fingerprint(decision: Decision | None) -> str:
    """What the decision form was loaded with: a save is refused if it changed meanwhile."""
    if decision is None:
        return "none"
    text = "\x1f".join((decision.kind, decision.reason, decision.new_action_text))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@transaction.atomic
def record_decision(
    campaign: Campaign,
    fiche: Fiche,
    *,
    kind: str,
    reason: str,
    new_action_text: str,
    user: AbstractBaseUser,
    loaded: str,
) -> Decision:
    """Record (or change) the COPIL's decision on the fiche, with history.

    Raises WrongState unless the campaign is frozen, StaleDecision when the stored decision is
    no longer the one the form showed (`loaded`, from decision_fingerprint).
    """
    _locked(campaign, Campaign.Status.FROZEN)
    current = Decision.objects.select_for_update().filter(campaign=campaign, fiche=fiche).first()
    if decision_fingerprint(current) != loaded:
        raise StaleDecision(current)
    decision = current or Decision(plan_id=campaign.plan_id, campaign=campaign, fiche=fiche)
    decision.kind = kind
    decision.reason = reason
    decision.new_action_text = new_action_text if kind == Kind.NEW_ACTION else ""
    decision.decided_by = user
    decision.decided_at = timezone.now()
    decision._history_user = user
    decision.save()
    return decision


# --- Validation ----------------------------------------------------------------------------------


@dataclass
class Carried:
    """What a validation changed in the plan."""

    actions: list[Action]
    stopped: list[Fiche]
    defaulted: int
    # Demonstration campaigns never touch the (real) plan they illustrate.
    skipped_demo: bool = False


def undecided_fiches(campaign: Campaign) -> list[Fiche]:
    """The fiches of the campaign's reports without a decision yet, in the plan's order."""
    decided = Decision.objects.filter(campaign=campaign).values("fiche_id")
    return list(
        Fiche.objects.filter(reports__campaign=campaign)
        .exclude(pk__in=decided)
        .order_by("position", "pk")
    )


@transaction.atomic
def validate_campaign(
    campaign: Campaign,
    *,
    validated_on: date,
    comment: str,
    user: AbstractBaseUser,
    default_continue: bool,
) -> Carried:
    """Close the year: record the COPIL's validation and carry its decisions over to the plan.

    Fiches still without a decision get « Poursuite » when `default_continue` is set; otherwise
    they make the validation fail (WrongState), so that none is forgotten silently.
    """
    locked = _locked(campaign, Campaign.Status.FROZEN)
    undecided = undecided_fiches(locked)
    if undecided and not default_continue:
        numbers = ", ".join(f"n°{f.number}" for f in undecided)
        raise WrongState(f"Fiches sans décision du COPIL : {numbers}.")
    now = timezone.now()
    for fiche in undecided:
        decision = Decision(
            plan_id=locked.plan_id,
            campaign=locked,
            fiche=fiche,
            kind=Kind.CONTINUE,
            reason=DEFAULT_CONTINUE_REASON,
            decided_by=user,
            decided_at=now,
        )
        decision._history_user = user
        decision.save()
    Validation.objects.create(
        plan_id=locked.plan_id,
        campaign=locked,
        validated_by=user,
        validated_on=validated_on,
        recorded_at=now,
        comment=comment,
    )
    carried = Carried([], [], len(undecided), skipped_demo=locked.is_demo)
    if not locked.is_demo:
        _carry_over(locked, validated_on, user, carried)
    locked.status = Campaign.Status.VALIDATED
    locked.snapshot = {
        **locked.snapshot,
        "validation": {
            "validated_on": validated_on.isoformat(),
            "comment": comment,
            "validated_by": person_name(user),
        },
        "decisions": _decisions_snapshot(locked),
    }
    locked.save(update_fields=["status", "snapshot"])
    return carried


def _decisions_snapshot(campaign: Campaign) -> list[dict[str, Any]]:
    return [
        {
            "fiche": d.fiche.number,
            "kind": d.kind,
            "reason": d.reason,
            "new_action_text": d.new_action_text,
            "decided_by": person_name(d.decided_by),
            "decided_at": d.decided_at.isoformat(),
        }
        for d in Decision.objects.filter(campaign=campaign)
        .select_related("fiche", "decided_by")
        .order_by("fiche__position", "fiche__pk")
    ]


def next_letter(letters: Sequence[str]) -> str:
    """The letter after the fiche's last lettered action (A, B… Z, then AA, AB…); digits go on
    counting ("1", "2" → "3")."""
    taken = {letter.strip().upper() for letter in letters}
    numbers = [int(x) for x in taken if x.isdigit()]
    if numbers and len(numbers) == len(taken):
        return str(max(numbers) + 1)
    candidate = 0
    while True:
        name, n = "", candidate
        while True:
            name = chr(ord("A") + n % 26) + name
            n = n // 26 - 1
            if n < 0:
                break
        if name not in taken:
            return name
        candidate += 1


def _carry_over(campaign: Campaign, validated_on: date, user, carried: Carried) -> None:
    plan = campaign.plan
    decisions = list(
        Decision.objects.filter(campaign=campaign, kind__in=[Kind.NEW_ACTION, Kind.STOP])
        .select_related("fiche")
        .order_by("fiche__position", "fiche__pk")
    )
    when = date_format(validated_on, "j F Y")
    next_year = campaign.year + 1
    for decision in decisions:
        fiche = decision.fiche
        reason = f"Décision du COPIL du {when} ({campaign.year_label})"
        if decision.kind == Kind.NEW_ACTION:
            existing = list(fiche.actions.values_list("letter", flat=True))
            position = (fiche.actions.aggregate(m=Max("position"))["m"] or 0) + 1
            in_contract = next_year <= plan.duration_years
            action = Action(
                fiche=fiche,
                letter=next_letter(existing),
                text=decision.new_action_text,
                deadline_years=[next_year] if in_contract else [],
                deadline_as_written="" if in_contract else "Après la dernière année du contrat",
                position=position,
                extra={ACTION_ORIGIN_KEY: f"Ajoutée par la décision du COPIL du {when}."},
            )
            action._history_user = user
            action._change_reason = reason
            action.save()
            decision.carried_action = action
            decision.save(update_fields=["carried_action"])
            carried.actions.append(action)
        else:
            followup, _ = FicheFollowup.objects.get_or_create(
                fiche=fiche, defaults={"plan_id": plan.pk}
            )
            followup.stopped_year = campaign.year
            followup.stopped_by = decision
            followup._history_user = user
            followup._change_reason = reason
            followup.save()
            carried.stopped.append(fiche)
            # Later campaigns already open expect nothing more from it: their untouched
            # placeholder reports go; a report someone already filled in stays as it is.
            FicheReport.objects.filter(
                fiche=fiche,
                campaign__year__gt=campaign.year,
                status=FicheReport.Status.TO_DO,
                updated_at__isnull=True,
            ).delete()


@transaction.atomic
def unfreeze_campaign(campaign: Campaign) -> Campaign:
    """Reopen a campaign frozen too early, before the COPIL recorded anything on it."""
    locked = _locked(campaign, Campaign.Status.FROZEN)
    count = Decision.objects.filter(campaign=locked).count()
    if count:
        raise WrongState(
            f"Le COPIL a déjà enregistré {count} décision{'s' if count > 1 else ''} sur cette "
            "campagne : elle ne peut plus être rouverte."
        )
    locked.status = Campaign.Status.OPEN
    locked.frozen_at = None
    locked.snapshot = {}
    locked.save(update_fields=["status", "frozen_at", "snapshot"])
    return locked


# --- Errata --------------------------------------------------------------------------------------

EMPTY = "non renseigné"
YES_NO = {"yes": "Oui", "no": "Non", "partly": "En partie"}


@dataclass(frozen=True)
class Correctable:
    """A value of a fiche's validated report that an erratum may correct."""

    key: str
    label: str
    current: str
    hint: str


def correctables(report: FicheReport, allow_partial: bool) -> list[Correctable]:
    """The values of the report an erratum may correct, with their current value as shown."""
    done_hint = "Oui, Non" + (", En partie" if allow_partial else "") + " ou vide"
    items = [
        Correctable(
            "progress_rate",
            "Taux d’avancement",
            f"{report.progress_rate}\u00a0%" if report.progress_rate is not None else EMPTY,
            "0, 20, 40, 60, 80 ou 100 (%), ou vide",
        ),
        Correctable(
            "objective_reached",
            "Atteinte de l’objectif",
            {True: "Oui", False: "Non"}.get(report.objective_reached, EMPTY),
            "Oui, Non ou vide",
        ),
        Correctable("obstacles", "Difficultés rencontrées", report.obstacles or EMPTY, "Texte"),
    ]
    statuses = {s.action_id: s for s in report.action_statuses.all()}
    for action in report.fiche.actions.order_by("position", "pk"):
        status = statuses.get(action.pk)
        done = status.done if status else ""
        items.append(
            Correctable(
                f"action:{action.pk}",
                f"Action {action.letter} réalisée",
                YES_NO.get(done, EMPTY),
                done_hint,
            )
        )
    values = {v.indicator_id: v for v in report.indicator_values.all()}
    for indicator in report.fiche.indicators.order_by("kind", "position", "pk"):
        value = values.get(indicator.pk)
        items.append(
            Correctable(
                f"indicator:{indicator.pk}",
                f"Indicateur « {indicator.text[:120]} »",
                _value_label(value),
                "Un nombre (virgule décimale acceptée) ou un texte, ou vide",
            )
        )
    return items


def _value_label(value: IndicatorValue | None) -> str:
    if value is None:
        return EMPTY
    if value.value_number is not None:
        number = format(value.value_number.normalize(), "f").replace(".", ",")
        return f"{number} {value.unit}".strip()
    return value.value_text or EMPTY


class BadCorrection(ValueError):
    """The new value does not fit the corrected field; the message says why, in French."""


def parse_correction(key: str, raw: str, allow_partial: bool) -> Any:
    """The stored form of the new value typed for `key`; BadCorrection when it does not fit."""
    text = raw.strip()
    if key == "progress_rate":
        if not text:
            return None
        digits = text.rstrip("%").replace("\u00a0", "").strip()
        if not digits.isdigit() or int(digits) not in PROGRESS_RATES:
            raise BadCorrection(
                f"« {text} » n’est pas un taux de l’échelle du contrat "
                "(0, 20, 40, 60, 80 ou 100\u00a0%)."
            )
        return int(digits)
    if key == "objective_reached" or key.startswith("action:"):
        words = {"oui": "yes", "non": "no", "": ""}
        if key.startswith("action:") and allow_partial:
            words["en partie"] = "partly"
        value = words.get(text.lower())
        if value is None:
            expected = "Oui, Non" + (", En partie" if "en partie" in words else "") + " ou vide"
            raise BadCorrection(f"« {text} » : réponse attendue {expected}.")
        if key == "objective_reached":
            return {"yes": True, "no": False, "": None}[value]
        return value
    if key.startswith("indicator:"):
        if not text:
            return (None, "")
        candidate = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(candidate)
        except InvalidOperation:
            return (None, text)
        if not number.is_finite():
            raise BadCorrection(f"« {text} » n’est pas un nombre fini.")
        if abs(number) >= Decimal(10) ** 14 or number.as_tuple().exponent < -4:
            raise BadCorrection(f"« {text} » : au plus 14 chiffres avant la virgule et 4 après.")
        return (number, "")
    return text


@transaction.atomic
def record_erratum(
    campaign: Campaign,
    report: FicheReport,
    *,
    key: str,
    raw_value: str,
    reason: str,
    user: AbstractBaseUser,
) -> Erratum:
    """Correct one value of a validated year, in the stored report and in the snapshot.

    Raises WrongState unless the campaign is validated, BadCorrection when the value does not
    fit or changes nothing. The Erratum row keeps what changed, from what to what, and why.
    """
    locked = _locked(campaign, Campaign.Status.VALIDATED)
    report = FicheReport.objects.select_for_update().select_related("fiche").get(pk=report.pk)
    items = {c.key: c for c in correctables(report, locked.allow_partial)}
    if key not in items:
        raise BadCorrection("Cette donnée n’existe pas pour cette fiche.")
    before = items[key]
    value = parse_correction(key, raw_value, locked.allow_partial)
    snapshot_report = next(
        (r for r in locked.snapshot.get("reports", []) if r.get("fiche") == report.fiche.number),
        None,
    )
    why = f"Erratum : {reason}"
    if key in ("progress_rate", "objective_reached", "obstacles"):
        setattr(report, key, value)
        report._history_user, report._change_reason = user, why
        report.save(update_fields=[key])
        if snapshot_report is not None:
            snapshot_report[key] = value
    elif key.startswith("action:"):
        action = report.fiche.actions.get(pk=int(key.split(":")[1]))
        status = ActionStatus.objects.filter(report=report, action=action).first() or (
            ActionStatus(report=report, action=action, plan_id=report.plan_id)
        )
        status.done = value
        status._history_user, status._change_reason = user, why
        status.save()
        if snapshot_report is not None:
            rows = snapshot_report.setdefault("actions", [])
            row = next((a for a in rows if a.get("letter") == action.letter), None)
            if row is None:
                row = {"letter": action.letter, "text": action.text, "comment": ""}
                rows.append(row)
            row["done"] = value or None
    else:
        indicator = report.fiche.indicators.get(pk=int(key.split(":")[1]))
        number, text = value
        stored = IndicatorValue.objects.filter(report=report, indicator=indicator).first() or (
            IndicatorValue(report=report, indicator=indicator, plan_id=report.plan_id)
        )
        stored.value_number, stored.value_text = number, text
        stored._history_user, stored._change_reason = user, why
        stored.save()
        if snapshot_report is not None:
            rows = snapshot_report.setdefault("indicators", [])
            row = next((i for i in rows if i.get("text") == indicator.text), None)
            if row is None:
                row = {
                    "kind": indicator.kind,
                    "text": indicator.text,
                    "action_letters": list(indicator.action_letters),
                    "unit": stored.unit,
                    "baseline": stored.baseline,
                    "target": stored.target,
                }
                rows.append(row)
            row["value_number"] = None if number is None else format(number.normalize(), "f")
            row["value_text"] = text
    after = correctables(report, locked.allow_partial)
    after_label = next(c.current for c in after if c.key == key)
    if after_label == before.current:
        # Nothing changed: undo by failing the transaction, with a message.
        raise BadCorrection(f"La nouvelle valeur est identique à l’actuelle ({before.current}).")
    locked.save(update_fields=["snapshot"])
    return Erratum.objects.create(
        plan_id=locked.plan_id,
        campaign=locked,
        fiche=report.fiche,
        field=key,
        field_label=before.label,
        before=before.current,
        after=after_label,
        reason=reason,
        created_by=user,
    )
