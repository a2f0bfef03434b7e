"""The roll-up weights of a plan's sections and fiches: reading typed values, storing changes.

A weight is stored only where it was set (SectionFollowup, FicheFollowup); a section or fiche
without a row weighs 1. Saving writes the changed rows only, in one transaction, each change in
the history, and refuses everything if someone else changed a weight since the form was loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from pilotis.core import history
from pilotis.followup.models import FicheFollowup, SectionFollowup
from pilotis.followup.rollups import format_number
from pilotis.plans.models import Plan

SECTION, FICHE = "section", "fiche"
# (SECTION or FICHE, primary key): one weight of the plan.
Key = tuple[str, int]

DEFAULT = Decimal(1)
# As the columns store them: max_digits=8, decimal_places=4.
PLACES = 4
MAX = Decimal("9999.9999")
HISTORY_REASON = "Pondération des agrégations"

# Digits with an optional decimal part, after spaces are dropped; anything else is not a number
# a person types for a weight ("1e3", "NaN", "½" are refused rather than guessed).
_NUMBER = re.compile(r"(\d+(?:[.,]\d*)?|[.,]\d+)")
_MINUSES = ("-", "\u2212", "\u2013")


class InvalidWeight(ValueError):
    """A typed weight that cannot be stored; the message is French, for the person who typed it."""


def parse_weight(text: str) -> Decimal:
    """A typed weight as a Decimal: « 0,5 », « 0.5 », « 2 », « 1 000 » (too large, but read).

    Raises InvalidWeight for an empty, non-numeric, negative, too precise or too large value.
    """
    typed = (text or "").strip()
    if not typed:
        return _refuse("indiquez un poids (1 par défaut)")
    compact = re.sub(r"[\s\u00a0\u202f]", "", typed)
    negative = compact.startswith(_MINUSES)
    if negative or compact.startswith("+"):
        compact = compact[1:]
    if not _NUMBER.fullmatch(compact):
        return _refuse(f"« {typed} » n’est pas un nombre (exemples : 1 ; 0,5 ; 2)")
    value = Decimal(compact.replace(",", "."))
    if negative and value != 0:
        return _refuse(f"un poids ne peut pas être négatif (« {typed} »)")
    if -value.normalize().as_tuple().exponent > PLACES:
        return _refuse(f"{PLACES} chiffres après la virgule au plus (« {typed} »)")
    if value > MAX:
        return _refuse(f"le poids ne peut pas dépasser {format_number(MAX)} (« {typed} »)")
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _refuse(message: str) -> Decimal:
    raise InvalidWeight(message[0].upper() + message[1:] + ".")


def canonical(value: Decimal) -> str:
    """A weight as posted back in the form's hidden fields: '1', '0.5', never '1E+1'."""
    normal = value.normalize()
    return format(normal if normal != normal.to_integral_value() else normal.quantize(1), "f")


def stored_weights(plan: Plan) -> dict[Key, Decimal]:
    """The weights stored for the plan (rows set to 1 included): two queries."""
    weights: dict[Key, Decimal] = {
        (SECTION, pk): weight
        for pk, weight in SectionFollowup.objects.filter(plan=plan).values_list(
            "section_id", "weight"
        )
    }
    weights.update(
        ((FICHE, pk), weight)
        for pk, weight in FicheFollowup.objects.filter(plan=plan).values_list("fiche_id", "weight")
    )
    return weights


@dataclass(frozen=True)
class Change:
    """A weight that differs between two moments: the form's load and now, or now and the save."""

    key: Key
    before: Decimal | None  # None: the section or fiche was not in the plan (or the form)
    after: Decimal


class StaleWeights(Exception):
    """Weights changed since the form was loaded; `changes` says which, from what to what."""

    def __init__(self, changes: list[Change]) -> None:
        super().__init__(changes)
        self.changes = changes


@transaction.atomic
def save_weights(
    plan: Plan,
    wanted: Mapping[Key, Decimal],
    seen: Mapping[Key, Decimal],
    user: AbstractBaseUser | None,
) -> list[Change]:
    """Store `wanted` (every weight of the plan's tree) if the stored weights are still `seen`.

    Raises StaleWeights, with nothing written, when a stored weight moved on since the form
    showed `seen`, or when a section or fiche was added meanwhile (not in `seen`). Only the
    weights that change are written; the changes are returned.
    """
    # Serialises the plan's weight saves on PostgreSQL between the check and the writes (SQLite
    # serialises writers anyway); the weights have no version row of their own to lock, since a
    # default weight has no row at all.
    list(Plan.objects.select_for_update().filter(pk=plan.pk).values_list("pk"))
    stored = stored_weights(plan)
    meanwhile = [
        Change(key, seen.get(key), stored.get(key, DEFAULT))
        for key in wanted
        if key not in seen or seen[key] != stored.get(key, DEFAULT)
    ]
    if meanwhile:
        raise StaleWeights(meanwhile)
    return _write(plan, wanted, stored, user)


@transaction.atomic
def reset_weights(plan: Plan, user: AbstractBaseUser | None) -> list[Change]:
    """Every stored weight back to 1 (« remettre les poids égaux »); the changes made."""
    list(Plan.objects.select_for_update().filter(pk=plan.pk).values_list("pk"))
    stored = stored_weights(plan)
    return _write(plan, dict.fromkeys(stored, DEFAULT), stored, user)


def _write(
    plan: Plan,
    wanted: Mapping[Key, Decimal],
    stored: Mapping[Key, Decimal],
    user: AbstractBaseUser | None,
) -> list[Change]:
    changes = [
        Change(key, stored.get(key, DEFAULT), value)
        for key, value in wanted.items()
        if value != stored.get(key, DEFAULT)
    ]
    for kind, model, field in (
        (SECTION, SectionFollowup, "section_id"),
        (FICHE, FicheFollowup, "fiche_id"),
    ):
        mine = {c.key[1]: c.after for c in changes if c.key[0] == kind}
        if not mine:
            continue
        # A weight set back to 1 keeps its row: a fiche's row also holds its stopped year, and
        # the history reads better as « 2 → 1 » than as a deletion.
        rows = list(model.objects.filter(plan=plan, **{f"{field}__in": mine}))
        for row in rows:
            row.weight = mine.pop(getattr(row, field))
        history.bulk_update(model, rows, ["weight"], user=user, reason=HISTORY_REASON)
        history.bulk_create(
            model,
            [model(plan=plan, weight=weight, **{field: pk}) for pk, weight in mine.items()],
            user=user,
            reason=HISTORY_REASON,
        )
    return changes


@dataclass(frozen=True)
class SetWeight:
    """A weight other than 1, as listed to the plan's members."""

    label: str
    weight: Decimal

    @property
    def weight_label(self) -> str:
        return format_number(self.weight)


def non_default_weights(plan: Plan) -> list[SetWeight]:
    """The sections and fiches of the plan whose weight is not 1, in the plan's order: two
    queries."""
    found = [
        SetWeight(
            " ".join(p for p in (plan.level_name(depth), number) if p) + f" — {title}", weight
        )
        for depth, number, title, weight in SectionFollowup.objects.filter(plan=plan)
        .exclude(weight=DEFAULT)
        .order_by("section__position", "section_id")
        .values_list("section__depth", "section__number", "section__title", "weight")
    ]
    found += [
        SetWeight(f"Fiche n°{number} — {title}", weight)
        for number, title, weight in FicheFollowup.objects.filter(plan=plan)
        .exclude(weight=DEFAULT)
        .order_by("fiche__position", "fiche_id")
        .values_list("fiche__number", "fiche__title", "weight")
    ]
    return found
