"""What every form of Pilotis shares: DSFR markup (django-dsfr), and no invisible control
characters in what is typed (XML could not hold them in the exports)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from dsfr.forms import DsfrBoundField, DsfrDjangoTemplates
from dsfr.utils import dsfr_input_class_attr

from pilotis.core import limits
from pilotis.core.cells import xml_safe

CONTROL_CHARACTER = "Ce texte contient un caractère de contrôle invisible : retirez-le."


class Dsfr:
    """DSFR markup for any form, a ModelForm too (django-dsfr's DsfrBaseForm is a Form only).
    Call `self.dsfr()` at the end of `__init__`."""

    template_name = "dsfr/form_snippet.html"
    bound_field_class = DsfrBoundField
    default_renderer = DsfrDjangoTemplates

    def dsfr(self) -> None:
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)


class NoControlCharacters:
    """Refuse text fields holding characters XML cannot hold (\\x01, \\ufffe…), and give every
    free-text field without a limit of its own the shared one (core.limits.LONG_TEXT), with the
    same French message as the follow-up's forms and the API."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = limits.LONG_TEXT
                field.validators.append(MaxLengthValidator(limits.LONG_TEXT))
                field.error_messages["max_length"] = limits.too_long(limits.LONG_TEXT)
                field.widget.attrs.setdefault("maxlength", str(limits.LONG_TEXT))

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and xml_safe(value) != value:
                self.add_error(name, CONTROL_CHARACTER)
        return cleaned


class FrenchDateInput(forms.DateInput):
    """A date typed JJ/MM/AAAA whatever the browser's language: a text field, not the browser's
    date picker, which shows MM/DD/YYYY in an English browser. ISO dates (AAAA-MM-JJ) are still
    read, as every French-locale DateField reads them."""

    input_type = "text"

    def __init__(self, attrs=None):
        base = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        super().__init__(attrs=base | (attrs or {}), format="%d/%m/%Y")


def too_big(upload, limit_mb: int | None = None) -> str:
    """The French refusal of an uploaded file heavier than `limit_mb` (PILOTIS_MAX_UPLOAD_MB by
    default), naming the file; "" when it is within the limit."""
    limit_mb = settings.MAX_UPLOAD_MB if limit_mb is None else limit_mb
    if upload.size <= limit_mb * 1024 * 1024:
        return ""
    weight = f"{upload.size / (1024 * 1024):.1f}".replace(".", ",")  # French decimal comma
    return (
        f"Le fichier « {upload.name} » pèse {weight} Mo : la taille maximale est de {limit_mb} Mo."
    )
