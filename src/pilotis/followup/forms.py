"""Forms of the follow-up: opening a campaign, its settings, and the yearly report of a fiche."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django import forms

from pilotis.core import limits
from pilotis.core.forms import FrenchDateInput, NoControlCharacters
from pilotis.followup import tracking
from pilotis.followup.models import (
    PROGRESS_RATES,
    ActionStatus,
    Campaign,
    FicheReport,
    IndicatorValue,
)
from pilotis.followup.services import DRAFT, SUBMIT, VALIDATE, ReportData
from pilotis.plans import display
from pilotis.plans.models import Action, FicheIndicator, Plan

NOT_GIVEN = "Non renseigné"
YES_NO = [("", NOT_GIVEN), ("yes", "Oui"), ("no", "Non")]
RATE_CHOICES = [("", NOT_GIVEN)] + [(str(v), f"{v}\u00a0%") for v in PROGRESS_RATES]
RATE_SCALE = "0, 20, 40, 60, 80 ou 100\u00a0%"


def _date_input() -> forms.DateInput:
    return FrenchDateInput()


def year_label(plan: Plan, year: int) -> str:
    return f"Année {year} ({plan.start_year + year - 1})" if plan.start_year else f"Année {year}"


class OpenCampaignForm(forms.Form):
    year = forms.TypedChoiceField(
        label="Année du contrat",
        coerce=int,
        help_text="L’année 1 est l’année de signature du contrat.",
        error_messages={"invalid_choice": "Cette année est déjà ouverte ou hors du contrat."},
    )
    deadline = forms.DateField(
        label="Date limite de saisie",
        help_text="Les pilotes doivent avoir transmis leurs fiches à cette date. "
        "Format attendu : JJ/MM/AAAA.",
        widget=_date_input(),
        error_messages={"invalid": "Saisissez une date valide, par exemple 31/01/2025."},
    )
    allow_partial = forms.BooleanField(
        label="Autoriser la réponse « En partie » pour les actions",
        help_text="Sinon, les pilotes répondent Oui ou Non pour chaque action prévue.",
        required=False,
    )

    def __init__(self, plan: Plan, opened_years: set[int], today: date, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["year"].choices = [
            (year, year_label(plan, year))
            for year in range(1, plan.duration_years + 1)
            if year not in opened_years
        ]

    def clean_deadline(self) -> date:
        deadline = self.cleaned_data["deadline"]
        if deadline < self.today:
            raise forms.ValidationError("La date limite ne peut pas être déjà passée.")
        return deadline


class CampaignSettingsForm(forms.ModelForm):
    """What a coordinator may still change in an open campaign."""

    class Meta:
        model = Campaign
        fields = ["deadline", "allow_partial"]
        labels = {
            "deadline": "Date limite de saisie",
            "allow_partial": "Autoriser la réponse « En partie » pour les actions",
        }
        help_texts = {"deadline": "Format attendu : JJ/MM/AAAA."}
        widgets = {"deadline": _date_input()}

    def __init__(self, *args, partly_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.partly_count = partly_count

    def clean_allow_partial(self) -> bool:
        allow = self.cleaned_data["allow_partial"]
        if not allow and self.partly_count:
            n = self.partly_count
            raise forms.ValidationError(
                f"{n} action{'s ont' if n > 1 else ' a'} déjà reçu la réponse « En partie » : "
                "la réponse reste autorisée tant qu’elle est utilisée."
            )
        return allow


# --- The report of a fiche -----------------------------------------------------------------------


def action_field(action: Action, part: str) -> str:
    return f"action_{action.pk}_{part}"


def indicator_field(indicator: FicheIndicator, part: str) -> str:
    return f"indicator_{indicator.pk}_{part}"


INDICATOR_PARTS = ("number", "unit", "text", "baseline", "target")


def stored_values(
    report: FicheReport,
    actions: Sequence[Action],
    indicators: Sequence[FicheIndicator],
    statuses: Mapping[int, ActionStatus],
    values: Mapping[int, IndicatorValue],
) -> dict[str, str]:
    """The report as stored, field name → the text the form shows: the form's initial values,
    and what the conflict check compares."""
    found = {
        "progress_rate": "" if report.progress_rate is None else str(report.progress_rate),
        "objective_reached": {True: "yes", False: "no", None: ""}[report.objective_reached],
        "obstacles": report.obstacles,
        "comment": report.comment,
    }
    for action in actions:
        status = statuses.get(action.pk)
        found[action_field(action, "done")] = status.done if status else ""
        found[action_field(action, "comment")] = status.comment if status else ""
    for indicator in indicators:
        value = values.get(indicator.pk)
        found[indicator_field(indicator, "number")] = (
            tracking.decimal_text(value.value_number) if value else ""
        )
        for part, attribute in [
            ("unit", "unit"),
            ("text", "value_text"),
            ("baseline", "baseline"),
            ("target", "target"),
        ]:
            found[indicator_field(indicator, part)] = getattr(value, attribute) if value else ""
    return found


def fingerprint(values: Mapping[str, str]) -> str:
    """Short digests of each value, for the form's hidden field: enough to tell which fields
    someone else changed, without copying every text into the page twice."""
    return json.dumps(
        {
            name: hashlib.blake2b(value.encode(), digest_size=6).hexdigest()
            for name, value in values.items()
        },
        separators=(",", ":"),
    )


def read_fingerprint(raw: str) -> dict[str, str]:
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _text(limit: int, **kwargs) -> forms.CharField:
    """A free-text field with its one limit (core.limits) and French message."""
    return forms.CharField(
        max_length=limit,
        required=False,
        error_messages={"max_length": limits.too_long(limit)},
        **kwargs,
    )


class ReportForm(NoControlCharacters, forms.Form):
    """The yearly report of one fiche; its fields depend on the actions due and the indicators.

    `intent` (DRAFT, SUBMIT, VALIDATE) decides what is required: a draft may be incomplete, a
    transmitted or validated report says the rate and answers every action due.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)
    progress_rate = forms.TypedChoiceField(
        label="Taux d’avancement de la fiche",
        help_text=f"Sur l’échelle du contrat : {RATE_SCALE}.",
        choices=RATE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        # %(value)s is the rejected input; the scale's own "%" are escaped for that formatting.
        error_messages={
            "invalid_choice": "« %(value)s » n’est pas sur l’échelle : choisissez "
            + RATE_SCALE.replace("%", "%%")
            + "."
        },
    )
    objective_reached = forms.TypedChoiceField(
        label="Atteinte de l’objectif",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Répondez Oui ou Non."},
    )
    obstacles = _text(
        limits.LONG_TEXT,
        label="Difficultés rencontrées",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    comment = _text(
        limits.LONG_TEXT,
        label="Commentaire",
        help_text="Ce que la coordination et le COPIL doivent savoir de cette année.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args,
        actions: Sequence[Action],
        indicators: Sequence[FicheIndicator],
        allow_partial: bool,
        intent: str = DRAFT,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.actions = list(actions)
        self.indicators = list(indicators)
        self.intent = intent
        done_choices = YES_NO + ([("partly", "En partie")] if allow_partial else [])
        answers = "Oui, Non ou En partie" if allow_partial else "Oui ou Non"
        for action in self.actions:
            done = forms.ChoiceField(
                label=f"Action {action.letter} réalisée cette année",
                choices=done_choices,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": f"Réponse impossible pour cette campagne : {answers}."
                },
            )
            done.summary_label = f"Action {action.letter} — réalisée"
            comment = _text(
                limits.LONG_TEXT,
                label=f"Commentaire sur l’action {action.letter}",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[action_field(action, "done")] = done
            self.fields[action_field(action, "comment")] = comment
        for indicator in self.indicators:
            name = f"Indicateur « {indicator.text} »"
            number = forms.DecimalField(
                label="Valeur (nombre)",
                help_text="Par exemple 12 ou 12,5.",
                required=False,
                localize=True,
                max_digits=18,
                decimal_places=4,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                error_messages={"invalid": "Saisissez un nombre, par exemple 12 ou 12,5."},
            )
            parts = {
                "number": number,
                "unit": _text(
                    limits.UNIT, label="Unité", help_text="Par exemple : personnes, séances, %."
                ),
                "text": _text(
                    limits.LONG_TEXT,
                    label="Valeur (texte)",
                    help_text="Si la valeur ne se résume pas à un nombre.",
                    widget=forms.Textarea(attrs={"rows": 2}),
                ),
                "baseline": _text(limits.SHORT_TEXT, label="Valeur de référence"),
                "target": _text(limits.SHORT_TEXT, label="Cible"),
            }
            for part, field in parts.items():
                field.summary_label = f"{name} — {field.label.lower()}"
                self.fields[indicator_field(indicator, part)] = field

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for indicator in self.indicators:
            number = data.get(indicator_field(indicator, "number"))
            text = data.get(indicator_field(indicator, "text"))
            if number is not None and text:
                self.add_error(
                    indicator_field(indicator, "text"),
                    "Saisissez soit un nombre, soit un texte, pas les deux.",
                )
        if self.intent in (SUBMIT, VALIDATE):
            verb = "transmettre" if self.intent == SUBMIT else "valider"
            if "progress_rate" in data and data["progress_rate"] is None:
                self.add_error(
                    "progress_rate", f"Indiquez le taux d’avancement pour {verb} la fiche."
                )
            for action in self.actions:
                name = action_field(action, "done")
                if name in data and not data[name]:
                    self.add_error(
                        name, f"Indiquez si l’action a été réalisée pour {verb} la fiche."
                    )
        return data

    # --- What the view and the template read ---

    def report_data(self) -> ReportData:
        data = self.cleaned_data
        return ReportData(
            progress_rate=data["progress_rate"],
            objective_reached=data["objective_reached"],
            obstacles=data["obstacles"].strip(),
            comment=data["comment"].strip(),
            actions={
                a.pk: (data[action_field(a, "done")], data[action_field(a, "comment")].strip())
                for a in self.actions
            },
            indicators={
                i.pk: {
                    "value_number": data[indicator_field(i, "number")],
                    "value_text": data[indicator_field(i, "text")].strip(),
                    "unit": data[indicator_field(i, "unit")].strip(),
                    "baseline": data[indicator_field(i, "baseline")].strip(),
                    "target": data[indicator_field(i, "target")].strip(),
                }
                for i in self.indicators
            },
        )

    def action_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "action": action,
                "done": self[action_field(action, "done")],
                "comment": self[action_field(action, "comment")],
            }
            for action in self.actions
        ]

    def indicator_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "indicator": indicator,
                "letters": display.letters_label(indicator.action_letters),
                **{part: self[indicator_field(indicator, part)] for part in INDICATOR_PARTS},
            }
            for indicator in self.indicators
        ]

    def describe(self, name: str, value: str) -> str:
        """A stored value as the page shows it: the label of a choice, « (vide) » for nothing."""
        field = self.fields[name]
        if isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)
            return value if value != NOT_GIVEN else "(non renseigné)"
        return value or "(vide)"

    def field_label(self, name: str) -> str:
        field = self.fields[name]
        return getattr(field, "summary_label", field.label)


def report_initial(report: FicheReport, values: Mapping[str, str]) -> dict[str, Any]:
    return {**values, "version": report.version, "loaded": fingerprint(values)}


def changes_meanwhile(form: ReportForm, current: Mapping[str, str]) -> list[dict[str, str]]:
    """What someone else changed since `form` was loaded: label and new value of each field."""
    loaded = read_fingerprint(form.data.get("loaded", ""))
    now = json.loads(fingerprint(current))
    return [
        {"label": form.field_label(name), "value": form.describe(name, current[name])}
        for name in tracking.changed_fields(loaded, now)
        if name in form.fields
    ]
