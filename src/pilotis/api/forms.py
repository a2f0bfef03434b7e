"""Form of the personal API tokens page."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

# Days of validity offered; "" keeps the token until it is revoked.
EXPIRY_CHOICES = [
    ("30", "30 jours"),
    ("90", "90 jours"),
    ("365", "1 an"),
    ("", "Sans date d'expiration (jusqu'à révocation)"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=100,
        help_text="Pour le reconnaître : le programme ou le tableur qui l'utilise. "
        "Exemple : Import du tableau de suivi CAF",
    )
    expiry = forms.ChoiceField(
        label="Durée de validité",
        choices=EXPIRY_CHOICES,
        initial="90",
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Donnez un nom au jeton.")
        return name

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expiry")
        return timezone.now() + timedelta(days=int(days)) if days else None
