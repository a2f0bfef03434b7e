"""Forms of the plan editor: the plan, its sections, fiches, actions, roles, indicators, links."""

from __future__ import annotations

from django import forms

from pilotis.core.forms import FrenchDateInput, NoControlCharacters
from pilotis.plans.editor import PlanValues
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheRole,
    Organisation,
    Plan,
    Programme,
    Section,
)


def _input(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "fr-input", **attrs})


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "fr-input", "rows": rows})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "fr-select"})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _required(what: str) -> dict[str, str]:
    return {"required": f"{what} est obligatoire."}


class VersionForm(NoControlCharacters, forms.Form):
    """The version of the plan or fiche the form was read at (optimistic concurrency)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PlanForm(VersionForm):
    kind = forms.ChoiceField(
        label="Type de plan", choices=Plan.Kind.choices, widget=_select(), initial=Plan.Kind.CLS
    )
    title = forms.CharField(
        label="Titre",
        max_length=300,
        widget=_input(),
        error_messages=_required("Le titre"),
        help_text="Par exemple « Contrat local de santé de Carcassonne Agglo 2024-2029 ».",
    )
    signatories = forms.CharField(
        label="Signataires",
        help_text="Un signataire par ligne.",
        required=False,
        widget=_textarea(4),
    )
    signature_date = forms.DateField(
        label="Date de signature",
        required=False,
        help_text="Format attendu : JJ/MM/AAAA.",
        widget=FrenchDateInput(attrs={"class": "fr-input"}),
        error_messages={"invalid": "Saisissez une date valide, par exemple 14/03/2025."},
    )
    start_year = forms.IntegerField(
        label="Année 1 du contrat",
        help_text="L’année civile de la première année du contrat, par exemple 2025.",
        min_value=1990,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "fr-input"}),
        error_messages={
            **_required("L’année 1 du contrat"),
            "min_value": "L’année 1 doit être postérieure à 1990.",
            "max_value": "L’année 1 doit être antérieure à 2100.",
            "invalid": "L’année 1 est une année sur quatre chiffres.",
        },
    )
    duration_years = forms.IntegerField(
        label="Durée (en années)",
        min_value=1,
        max_value=20,
        initial=5,
        widget=forms.NumberInput(attrs={"class": "fr-input"}),
        error_messages={
            **_required("La durée"),
            "min_value": "La durée est d’au moins un an.",
            "max_value": "La durée est d’au plus vingt ans.",
            "invalid": "La durée est un nombre entier d’années.",
        },
    )
    perimeter = forms.CharField(
        label="Périmètre",
        help_text="Le territoire couvert, par exemple « Carcassonne Agglo (83 communes) ».",
        required=False,
        max_length=200,
        widget=_input(),
    )
    levels = forms.CharField(
        label="Noms des niveaux",
        help_text="Du plus large au plus fin, un par ligne : « Axe », « Objectif général »…",
        required=False,
        widget=_textarea(3),
    )

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]

    @classmethod
    def initial_for(cls, plan: Plan) -> dict:
        return {
            "kind": plan.kind,
            "title": plan.title,
            "signatories": "\n".join(plan.signatories),
            "signature_date": plan.signature_date,
            "start_year": plan.start_year,
            "duration_years": plan.duration_years,
            "perimeter": plan.perimeter.name if plan.perimeter_id else "",
            "levels": "\n".join(plan.levels),
            "version": plan.version,
        }

    def values(self) -> PlanValues:
        data = self.cleaned_data
        return PlanValues(
            kind=data["kind"],
            title=data["title"].strip(),
            signatories=_lines(data["signatories"]),
            signature_date=data["signature_date"],
            start_year=data["start_year"],
            duration_years=data["duration_years"],
            perimeter=data["perimeter"],
            levels=_lines(data["levels"]),
        )


class SectionForm(VersionForm):
    parent = forms.ModelChoiceField(
        label="Dans la section",
        queryset=Section.objects.none(),
        required=False,
        empty_label="— Au premier niveau du plan —",
        widget=_select(),
    )
    number = forms.CharField(
        label="Numéro",
        help_text="Facultatif, par exemple « 1 » ou « 2.3 ».",
        max_length=20,
        required=False,
        widget=_input(),
    )
    title = forms.CharField(
        label="Titre", widget=_textarea(2), error_messages=_required("Le titre de la section")
    )

    def __init__(self, *args, plan: Plan, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if adding:
            self.fields["parent"].queryset = plan.sections.order_by("position", "pk")
            self.fields["parent"].label_from_instance = lambda s: (
                "— " * s.depth + f"{plan.level_name(s.depth)} {s}".strip()
            )
        else:
            del self.fields["parent"]


def _section_field(plan: Plan) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label="Section",
        queryset=plan.sections.order_by("position", "pk"),
        required=False,
        empty_label="— Hors section —",
        widget=_select(),
    )
    field.label_from_instance = lambda s: "— " * s.depth + f"{plan.level_name(s.depth)} {s}"
    return field


class FicheForm(VersionForm):
    """A new fiche: its number, its place and the texts of its page."""

    number = forms.CharField(
        label="Numéro",
        max_length=Fiche._meta.get_field("number").max_length,
        widget=_input(),
        error_messages=_required("Le numéro de la fiche"),
    )
    title = forms.CharField(
        label="Intitulé", widget=_textarea(2), error_messages=_required("L’intitulé de la fiche")
    )
    pilotage_label = forms.CharField(
        label="Libellé du pilotage",
        help_text="Tel que la fiche l’écrit, par exemple « pilotage » ou « co-pilotage ».",
        max_length=20,
        required=False,
        initial="pilotage",
        widget=_input(),
    )
    context = forms.CharField(label="Contexte", required=False, widget=_textarea(6))
    strategic_objective = forms.CharField(
        label="Objectif stratégique", required=False, widget=_textarea(3)
    )
    operational_objectives = forms.CharField(
        label="Objectifs opérationnels",
        help_text="Un objectif par ligne.",
        required=False,
        widget=_textarea(4),
    )
    public = forms.CharField(label="Public cible", required=False, widget=_textarea(2))

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"] = _section_field(plan)
        self.order_fields(["number", "section", "title"])

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if "/" in number:
            raise forms.ValidationError("Le numéro de la fiche ne peut pas contenir « / ».")
        return number

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version")
        data.pop("section")
        data["operational_objectives"] = _lines(data["operational_objectives"])
        data["title"] = data["title"].strip()
        return data


class FichePlaceForm(VersionForm):
    """The fiche's number and section (its texts are edited by the fiche form)."""

    number = FicheForm.base_fields["number"]

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"] = _section_field(plan)

    clean_number = FicheForm.clean_number


class ActionForm(VersionForm):
    letter = forms.CharField(
        label="Lettre ou numéro",
        help_text="Laissez vide pour la lettre suivante.",
        max_length=Action._meta.get_field("letter").max_length,
        required=False,
        widget=_input(),
    )
    text = forms.CharField(
        label="Action", widget=_textarea(3), error_messages=_required("Le texte de l’action")
    )
    deadline_years = forms.TypedMultipleChoiceField(
        label="Échéance (années du contrat)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline_years"].choices = [
            (year, f"Année {year}" + (f" ({calendar})" if calendar else ""))
            for year, calendar in plan.contract_years
        ]


class RoleForm(VersionForm):
    role = forms.ChoiceField(label="Rôle", choices=FicheRole.Role.choices, widget=_select())
    organisation = forms.ModelChoiceField(
        label="Organisation du plan",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="— Nouvelle organisation (ci-dessous) —",
        widget=_select(),
    )
    new_name = forms.CharField(
        label="Nom de la nouvelle organisation", max_length=300, required=False, widget=_input()
    )
    new_acronym = forms.CharField(label="Sigle", max_length=40, required=False, widget=_input())
    new_aliases = forms.CharField(
        label="Autres graphies",
        help_text="Une par ligne, telles que les documents l’écrivent.",
        required=False,
        widget=_textarea(2),
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = plan.organisations.order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("organisation") and not (data.get("new_name") or "").strip():
            raise forms.ValidationError(
                "Choisissez une organisation du plan ou donnez le nom d’une nouvelle organisation."
            )
        if data.get("organisation") and (data.get("new_name") or "").strip():
            raise forms.ValidationError(
                "Choisissez une organisation du plan ou créez-en une, pas les deux."
            )
        return data

    def new_organisation(self) -> dict | None:
        if self.cleaned_data["organisation"]:
            return None
        return {
            "name": self.cleaned_data["new_name"],
            "acronym": self.cleaned_data["new_acronym"],
            "aliases": _lines(self.cleaned_data["new_aliases"]),
        }


class IndicatorForm(VersionForm):
    kind = forms.ChoiceField(
        label="Type d’indicateur", choices=FicheIndicator.Kind.choices, widget=_select()
    )
    text = forms.CharField(
        label="Indicateur",
        widget=_textarea(2),
        error_messages=_required("Le texte de l’indicateur"),
    )
    action_letters = forms.MultipleChoiceField(
        label="Actions visées",
        help_text="Aucune : l’indicateur porte sur toute la fiche.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, fiche: Fiche, actions=None, **kwargs):
        super().__init__(*args, **kwargs)
        actions = fiche.actions.order_by("position", "pk") if actions is None else actions
        self.fields["action_letters"].choices = [(a.letter, f"Action {a.letter}") for a in actions]


class FicheLinkForm(VersionForm):
    target = forms.ModelChoiceField(
        label="Fiche liée", queryset=Fiche.objects.none(), widget=_select()
    )

    def __init__(self, *args, fiche: Fiche, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        field.queryset = (
            Fiche.objects.filter(plan_id=fiche.plan_id)
            .exclude(pk=fiche.pk)
            .order_by("position", "pk")
            .only("number", "title")
        )
        field.label_from_instance = lambda f: f"Fiche n°{f.number} — {f.title[:80]}"
        field.error_messages["required"] = "Choisissez la fiche à lier."


class ProgrammeForm(VersionForm):
    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.order_by("name"),
        required=False,
        empty_label="— Nouveau programme (ci-dessous) —",
        widget=_select(),
    )
    new_name = forms.CharField(
        label="Nom du nouveau programme",
        help_text="Par exemple « PRSE 4 » ou « Contrat territorial global ».",
        max_length=200,
        required=False,
        widget=_input(),
    )

    def clean(self):
        data = super().clean()
        if not data.get("programme") and not (data.get("new_name") or "").strip():
            raise forms.ValidationError("Choisissez un programme ou donnez le nom d’un nouveau.")
        return data


class OrganisationForm(VersionForm):
    name = forms.CharField(
        label="Nom complet",
        max_length=300,
        widget=_input(),
        error_messages=_required("Le nom de l’organisation"),
    )
    acronym = forms.CharField(label="Sigle", max_length=40, required=False, widget=_input())
    aliases = forms.CharField(
        label="Autres graphies",
        help_text="Une par ligne, telles que les documents l’écrivent.",
        required=False,
        widget=_textarea(3),
    )


class MergeForm(VersionForm):
    keep = forms.ModelChoiceField(
        label="Organisation gardée", queryset=Organisation.objects.none(), widget=_select()
    )
    drop = forms.ModelChoiceField(
        label="Organisation fusionnée dans la première (puis supprimée)",
        queryset=Organisation.objects.none(),
        widget=_select(),
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("keep", "drop"):
            self.fields[name].queryset = plan.organisations.order_by("name")
            self.fields[name].error_messages["required"] = "Choisissez les deux organisations."

    def clean(self):
        data = super().clean()
        if data.get("keep") and data.get("keep") == data.get("drop"):
            raise forms.ValidationError("Choisissez deux organisations différentes.")
        return data
