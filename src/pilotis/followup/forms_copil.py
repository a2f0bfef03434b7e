"""Forms of the COPIL cycle: a decision on a fiche, the validation of the year, an erratum."""

from __future__ import annotations

from datetime import date

from django import forms

from pilotis.core.forms import FrenchDateInput, NoControlCharacters
from pilotis.followup import copil
from pilotis.followup.models import Decision


def _date_input() -> forms.DateInput:
    return FrenchDateInput()


class DecisionForm(NoControlCharacters, forms.Form):
    kind = forms.ChoiceField(
        label="Décision du COPIL",
        choices=Decision.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez une décision."},
    )
    reason = forms.CharField(
        label="Motif",
        help_text="Obligatoire sauf pour « Poursuite » : ce qui justifie la décision.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    new_action_text = forms.CharField(
        label="Nouvelle action à ajouter à la fiche",
        help_text="Pour la décision « Nouvelle action » seulement. Elle est ajoutée à la fiche, "
        "avec l’échéance de l’année suivante, quand le COPIL valide l’évaluation.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        reason = (data.get("reason") or "").strip()
        text = (data.get("new_action_text") or "").strip()
        data["reason"], data["new_action_text"] = reason, text
        if kind in copil.REASON_REQUIRED and not reason:
            label = Decision.Kind(kind).label
            self.add_error("reason", f"Le motif est obligatoire pour la décision « {label} ».")
        if kind == Decision.Kind.NEW_ACTION and not text:
            self.add_error("new_action_text", "Décrivez la nouvelle action à ajouter à la fiche.")
        elif kind and kind != Decision.Kind.NEW_ACTION and text:
            self.add_error(
                "new_action_text",
                "Une nouvelle action ne s’ajoute qu’avec la décision « Nouvelle action » : "
                "choisissez-la ou videz ce champ.",
            )
        return data


class ValidationForm(NoControlCharacters, forms.Form):
    validated_on = forms.DateField(
        label="Date du COPIL",
        help_text="Le jour de la réunion qui a validé l’évaluation. Format attendu : JJ/MM/AAAA.",
        widget=_date_input(),
        error_messages={
            "required": "Indiquez la date du COPIL.",
            "invalid": "Saisissez une date valide, par exemple 14/03/2025.",
        },
    )
    comment = forms.CharField(
        label="Commentaire",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    default_continue = forms.BooleanField(label="", required=False)

    def __init__(self, *args, frozen_on: date, today: date, undecided: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen_on, self.today, self.undecided = frozen_on, today, undecided
        field = self.fields["default_continue"]
        if undecided:
            plural = "s" if undecided > 1 else ""
            field.label = (
                f"Les {undecided} fiche{plural} sans décision sont poursuivie{plural} "
                "(décision « Poursuite »)"
                if undecided > 1
                else "La fiche sans décision est poursuivie (décision « Poursuite »)"
            )
        else:
            del self.fields["default_continue"]

    def clean_validated_on(self) -> date:
        day = self.cleaned_data["validated_on"]
        if day > self.today:
            raise forms.ValidationError("La date du COPIL ne peut pas être dans le futur.")
        if day < self.frozen_on:
            raise forms.ValidationError(
                f"La date du COPIL ne peut pas précéder le gel de la campagne "
                f"({self.frozen_on:%d/%m/%Y})."
            )
        return day

    def clean_default_continue(self) -> bool:
        value = self.cleaned_data["default_continue"]
        if self.undecided and not value:
            raise forms.ValidationError(
                "Des fiches n’ont pas de décision : enregistrez-les, ou cochez cette case pour "
                "les poursuivre."
            )
        return value


class ErratumForm(NoControlCharacters, forms.Form):
    key = forms.ChoiceField(
        label="Donnée à corriger",
        error_messages={"invalid_choice": "Cette donnée n’existe pas pour cette fiche."},
    )
    value = forms.CharField(
        label="Nouvelle valeur",
        help_text="Vide pour effacer la valeur.",
        required=False,
        max_length=5000,
    )
    reason = forms.CharField(
        label="Motif de la correction",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Le motif de la correction est obligatoire."},
    )

    def __init__(self, *args, items: list[copil.Correctable], allow_partial: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {c.key: c for c in items}
        self.allow_partial = allow_partial
        self.fields["key"].choices = [
            (c.key, f"{c.label} — actuellement : {c.current}") for c in items
        ]

    def clean(self):
        data = super().clean()
        key = data.get("key")
        if key and "value" in data:
            try:
                data["parsed"] = copil.parse_correction(key, data["value"], self.allow_partial)
            except copil.BadCorrection as exc:
                self.add_error("value", str(exc))
        return data
