"""What every form of Pilotis shares: DSFR markup (django-dsfr), and no invisible control
characters in what is typed (XML could not hold them in the exports)."""

from __future__ import annotations

from dsfr.forms import DsfrBoundField, DsfrDjangoTemplates
from dsfr.utils import dsfr_input_class_attr

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
    """Refuse text fields holding characters XML cannot hold (\\x01, \\ufffe…)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and xml_safe(value) != value:
                self.add_error(name, CONTROL_CHARACTER)
        return cleaned
