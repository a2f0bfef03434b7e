"""Forms of the directory: an entry, an upload, a structure's answer to a verification request."""

from __future__ import annotations

from django import forms

from pilotis.core.forms import Dsfr, NoControlCharacters, too_big
from pilotis.directory.models import Category, Public, Resource
from pilotis.directory.tabular import split_list
from pilotis.plans.models import Fiche, Organisation, Plan

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class ResourceForm(NoControlCharacters, Dsfr, forms.ModelForm):
    publics = forms.MultipleChoiceField(
        label="Publics", choices=Public.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    communes_text = forms.CharField(
        label="Communes desservies",
        help_text="Noms ou codes INSEE séparés par des virgules ; laissez vide et cochez « tout "
        "le territoire » pour une offre ouverte à tout le périmètre du plan.",
        required=False,
        max_length=5000,
    )
    verified_on = forms.DateField(
        label="Vérifiée le",
        help_text="Format JJ/MM/AAAA.",
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y"),
    )
    website = forms.URLField(label="Site internet", required=False, assume_scheme="https")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Resource
        fields = [
            "name",
            "kind",
            "finess",
            "siret",
            "organisation",
            "description",
            "categories",
            "publics",
            "age_min",
            "age_max",
            "whole_perimeter",
            "opening_hours",
            "conditions",
            "cost",
            "languages",
            "accessibility",
            "open_to_public",
            "address",
            "postcode",
            "city",
            "phone",
            "email",
            "website",
            "fiches",
            "source",
            "verified_on",
        ]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "fiches": forms.SelectMultiple(attrs={"size": 8}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "opening_hours": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "accessibility": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "phone": "Le numéro d’accueil de la structure, jamais celui d’une personne.",
            "email": "L’adresse de la structure (accueil, contact), jamais celle d’une personne.",
            "finess": "9 caractères, si la structure en a un.",
            "source": "D’où vient l’information (site de la structure, annuaire, appel…).",
        }

    def __init__(self, *args, plan: Plan, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["categories"].queryset = Category.objects.filter(
            pk__in=[c.pk for c in categories]
        )
        self.fields["fiches"].queryset = Fiche.objects.filter(plan=plan).order_by("position", "pk")
        self.fields["fiches"].label_from_instance = lambda f: f"Fiche {f.number} — {f.title}"[:120]
        self.fields["organisation"].queryset = Organisation.objects.filter(plan=plan).order_by(
            "name"
        )
        if self.instance.pk:
            self.fields["communes_text"].initial = ", ".join(self.instance.communes)
            self.fields["version"].initial = self.instance.version
            self.fields["publics"].initial = self.instance.publics
        self.dsfr()

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", "L’âge maximum est inférieur à l’âge minimum.")
        somewhere = split_list(cleaned.get("communes_text", "")) or cleaned.get("city")
        if not cleaned.get("whole_perimeter") and not somewhere:
            self.add_error(
                "communes_text",
                "Indiquez les communes desservies, ou cochez « tout le territoire ».",
            )
        return cleaned

    def save(self, commit=True):
        self.instance.communes = split_list(self.cleaned_data.get("communes_text", ""))
        self.instance.publics = self.cleaned_data.get("publics", [])
        return super().save(commit=commit)


class UploadForm(Dsfr, forms.Form):
    file = forms.FileField(
        label="Fichier du répertoire (XLSX, CSV ou extraction FINESS)",
        error_messages={
            "required": "Choisissez le fichier à importer.",
            "empty": "Le fichier envoyé est vide.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsfr()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if refusal := too_big(upload):
            raise forms.ValidationError(refusal)
        return upload


class VerificationForm(Dsfr, forms.Form):
    answer = forms.ChoiceField(
        label="Ces informations sont-elles exactes ?",
        choices=[("confirmed", "Oui, elles sont exactes"), ("correction", "Non, il faut corriger")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Ce qu’il faut corriger",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsfr()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "correction" and not cleaned.get("note", "").strip():
            self.add_error("note", "Dites ce qu’il faut corriger.")
        return cleaned
