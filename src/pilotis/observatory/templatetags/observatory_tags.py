"""Numbers as French writes them, for the observatory's pages."""

from django import template

from pilotis.observatory.maps import number

register = template.Library()


@register.filter
def fr_number(value, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return number(float(value), int(digits))
