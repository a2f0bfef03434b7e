"""Template filters of the plan pages."""

from collections.abc import Sized

from django import template

from pilotis.core.people import person_name

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


@register.filter
def person(user, empty: str = "—") -> str:
    """A user as pages name them: full name, else username; `empty` when there is none (a
    deleted account, a command). `{{ x.get_full_name|default:x.get_username }}` fails on None."""
    return person_name(user, empty)
