"""Filters of the Typst templates (reports/typst/): every value goes in as a string literal."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@register.filter
def t(value) -> SafeString:
    """`value` as a Typst string literal: read as plain text, never as markup or code."""
    text = _CONTROL.sub("", "" if value is None else str(value).replace("\r\n", "\n"))
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return mark_safe(f'"{text}"')
