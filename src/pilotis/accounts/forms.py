"""Forms of the account pages: invitation, joining by invitation, second factor."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser

from pilotis.accounts.models import Role
from pilotis.plans.models import Organisation, Plan

# What the validators of settings.AUTH_PASSWORD_VALIDATORS ask, said plainly.
PASSWORD_HINT = (
    "Au moins 12 caractères ; ni uniquement des chiffres, ni un mot de passe courant, ni proche "
    "de votre nom ou de votre adresse électronique. Une phrase de quelques mots convient bien."
)

# Roles whose rights follow their organisations: without one they could do nothing.
ROLES_NEEDING_ORGANISATIONS = frozenset({Role.PILOT, Role.PARTNER})


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.acronym})" if obj.acronym else obj.name


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="Le lien d’invitation y sera envoyé. Format attendu : nom@domaine.fr",
    )
    role = forms.ChoiceField(
        label="Rôle dans le plan", choices=Role.choices, widget=forms.RadioSelect
    )
    organisations = OrganisationChoiceField(
        label="Organisations",
        help_text="Celles pour lesquelles la personne agit dans ce plan "
        "(obligatoire pour un pilote ou un partenaire).",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, plan: Plan, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this plan's organisations can be chosen, whatever ids are posted.
        self.fields["organisations"].queryset = Organisation.objects.filter(plan=plan)

    def clean(self):
        data = super().clean()
        if data.get("role") in ROLES_NEEDING_ORGANISATIONS and not data.get("organisations"):
            self.add_error(
                "organisations",
                "Choisissez au moins une organisation : les droits d’un pilote ou d’un partenaire "
                "sont ceux de ses organisations.",
            )
        return data


class JoinForm(forms.Form):
    """A new account from an invitation: the username is the invited address."""

    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HINT,
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Saisissez le même mot de passe une seconde fois.",
    )

    def __init__(self, email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def _unsaved_user(self) -> AbstractBaseUser:
        data = self.cleaned_data
        return get_user_model()(
            username=self.email,
            email=self.email,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
        )

    def clean(self):
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "Les deux mots de passe ne correspondent pas.")
        elif password1:
            # The similarity rule needs the names and address the password must not resemble.
            try:
                password_validation.validate_password(password1, self._unsaved_user())
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    def save(self) -> AbstractBaseUser:
        user = self._unsaved_user()
        user.set_password(self.cleaned_data["password1"])
        user.save()
        return user


class TokenForm(forms.Form):
    """The six-digit code of an authenticator application."""

    token = forms.RegexField(
        label="Code à 6 chiffres",
        help_text="Affiché par votre application d’authentification. Exemple : 123456",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Saisissez les 6 chiffres affichés par l’application."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()
