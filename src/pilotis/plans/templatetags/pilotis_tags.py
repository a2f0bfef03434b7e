"""Template filters of the plan pages."""

from collections.abc import Sized

from django import template

register = template.Library()


@register.filter
def fr_plural(value, forms: str = "s") -> str:
    """French plural mark: singular for 0 and 1 ("0 fiche"), unlike Django's `pluralize`.

    `forms` is "plural" or "singular,plural", as for `pluralize`.
    """
    singular, _, plural = forms.rpartition(",") if "," in forms else ("", "", forms)
    try:
        sized = isinstance(value, Sized) and not isinstance(value, str)
        count = len(value) if sized else abs(int(value))
    except (TypeError, ValueError):
        return singular
    return plural if count >= 2 else singular
