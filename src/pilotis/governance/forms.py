"""Forms of the bodies and meetings (DSFR markup)."""

from __future__ import annotations

from django import forms

from pilotis.core.forms import Dsfr, NoControlCharacters, too_big
from pilotis.governance.models import (
    Amendment,
    Attendance,
    Body,
    BodyMember,
    Meeting,
    MeetingDecision,
)
from pilotis.plans.models import Fiche, Organisation, Plan


class BodyForm(NoControlCharacters, Dsfr, forms.ModelForm):
    class Meta:
        model = Body
        fields = ["name", "kind", "role", "frequency"]
        widgets = {"role": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsfr()


class MemberForm(NoControlCharacters, Dsfr, forms.ModelForm):
    consent_on = forms.DateField(
        label="Consentement du représentant recueilli le",
        help_text="Format JJ/MM/AAAA. Sans consentement, ne saisissez pas de nom ni de courriel.",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    class Meta:
        model = BodyMember
        fields = ["organisation", "label", "representative", "function", "email", "consent_on"]
        help_texts = {"email": "Adresse professionnelle, pour les invitations."}

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(plan=plan).order_by(
            "name"
        )
        self.fields["label"].required = False
        self.dsfr()

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        if not cleaned.get("label"):
            if organisation is None:
                self.add_error("label", "Choisissez une organisation ou écrivez le nom du membre.")
            else:
                cleaned["label"] = organisation.name
                self.instance.label = organisation.name
        named = cleaned.get("representative") or cleaned.get("email")
        if named and not cleaned.get("consent_on"):
            self.add_error(
                "consent_on",
                "Le nom et le courriel d’un représentant ne sont gardés qu’avec son consentement.",
            )
        return cleaned


class MeetingForm(NoControlCharacters, Dsfr, forms.ModelForm):
    starts_at = forms.DateTimeField(
        label="Date et heure",
        help_text="Format JJ/MM/AAAA HH:MM.",
        input_formats=["%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M"],
    )

    class Meta:
        model = Meeting
        fields = [
            "starts_at",
            "duration_minutes",
            "place",
            "agenda",
            "agenda_fiches",
            "minutes",
            "published",
        ]
        widgets = {
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 8}),
            "agenda_fiches": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_fiches"].queryset = Fiche.objects.filter(plan=plan).order_by(
            "position", "pk"
        )
        self.fields["agenda_fiches"].label_from_instance = lambda f: (
            f"Fiche {f.number} — {f.title}"[:120]
        )
        self.dsfr()


class DecisionForm(NoControlCharacters, Dsfr, forms.ModelForm):
    class Meta:
        model = MeetingDecision
        fields = ["fiche", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiche"].queryset = Fiche.objects.filter(plan=plan).order_by("position", "pk")
        self.fields["fiche"].label_from_instance = lambda f: f"Fiche {f.number} — {f.title}"[:120]
        self.dsfr()


class AttachmentForm(Dsfr, forms.Form):
    file = forms.FileField(
        label="Pièce jointe (PDF, DOCX, ODT, XLSX, PNG ou JPEG)",
        error_messages={"required": "Choisissez un fichier.", "empty": "Le fichier est vide."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsfr()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if refusal := too_big(upload):
            raise forms.ValidationError(refusal)
        return upload


STATUS_CHOICES = [("", "Non renseigné"), *Attendance.Status.choices]


class AmendmentForm(NoControlCharacters, Dsfr, forms.ModelForm):
    approved_on = forms.DateField(
        label="Approuvé le", help_text="Format JJ/MM/AAAA.", input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )

    class Meta:
        model = Amendment
        fields = ["title", "approved_on", "body", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = Body.objects.filter(plan=plan)
        self.dsfr()


class MergeForm(Dsfr, forms.Form):
    keep = forms.ModelChoiceField(label="Fiche qui reste", queryset=Fiche.objects.none())
    drop = forms.ModelChoiceField(
        label="Fiche fusionnée dans la première",
        queryset=Fiche.objects.none(),
        help_text="Ses actions et ses pilotes et partenaires rejoignent la première ; elle est "
        "archivée avec son suivi passé.",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        fiches = Fiche.objects.filter(plan=plan, archived=False).order_by("position", "pk")
        for name in ("keep", "drop"):
            self.fields[name].queryset = fiches
            self.fields[name].label_from_instance = lambda f: f"Fiche {f.number} — {f.title}"[:120]
        self.dsfr()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("keep") and cleaned.get("keep") == cleaned.get("drop"):
            self.add_error("drop", "Choisissez deux fiches différentes.")
        return cleaned
