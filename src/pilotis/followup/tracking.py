"""Pure follow-up logic: actions due in a year, lateness, what is missing, who to remind."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar

# A deadline this close (in days, today included) already counts on the dashboard and in the
# reminders: pilots need a few days to gather their figures.
DUE_SOON_DAYS = 7

LATE = "late"
DUE_SOON = "due_soon"
LATENESS_LABELS = {LATE: "En retard", DUE_SOON: "Échéance proche"}

# Report states, as stored (FicheReport.Status values), in the order a report goes through them.
TO_DO, IN_PROGRESS, SUBMITTED, VALIDATED = "to_do", "in_progress", "submitted", "validated"
STATUS_ORDER = (TO_DO, IN_PROGRESS, SUBMITTED, VALIDATED)
DONE_STATUSES = frozenset({SUBMITTED, VALIDATED})


class HasDeadlineYears(Protocol):
    deadline_years: Sequence[int]


A = TypeVar("A", bound=HasDeadlineYears)
K = TypeVar("K", bound=Hashable)


def actions_due(actions: Iterable[A], year: int) -> list[A]:
    """The actions whose deadline (in contract years) includes `year`, in the given order.

    An action without any deadline year is never due: the contract did not schedule it, so the
    pilots are not asked about it (the fiche page says so rather than inventing a year).
    """
    return [a for a in actions if year in (a.deadline_years or ())]


def is_done(status: str) -> bool:
    """Transmitted or validated: the pilots have nothing more to do for this year."""
    return status in DONE_STATUSES


def lateness(
    status: str, deadline: date, today: date, warn_days: int = DUE_SOON_DAYS
) -> str | None:
    """LATE once the deadline has passed, DUE_SOON within `warn_days` of it, for reports not
    transmitted yet; None otherwise. The deadline day itself is still on time."""
    if is_done(status):
        return None
    if today > deadline:
        return LATE
    if (deadline - today).days < warn_days:
        return DUE_SOON
    return None


def status_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many reports are in each state, every state present (0 included), in STATUS_ORDER."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        counts[status] += 1
    return counts


@dataclass
class Missing:
    """An organisation steering fiches whose report is not transmitted yet."""

    organisation: str
    fiches: list[Any] = field(default_factory=list)
    pilots: list[str] = field(default_factory=list)


def missing_by_organisation(
    rows: Iterable[tuple[Any, str, Iterable[K]]],
    names: Mapping[K, str],
    pilots: Mapping[K, Iterable[str]] | None = None,
) -> list[Missing]:
    """Group the fiches not transmitted by the organisations that pilot or co-pilot them.

    `rows` are (fiche, status, steering organisation keys); a fiche appears under each of its
    organisations. `pilots` names the people who act as pilots for each organisation. Sorted by
    the number of missing fiches, most first, then by name. Fiches nobody steers are grouped
    under « Sans pilote » at the end.
    """
    groups: dict[K | None, Missing] = {}
    for fiche, status, organisations in rows:
        if is_done(status):
            continue
        keys = list(organisations) or [None]
        for key in keys:
            if key not in groups:
                name = names[key] if key is not None else "Sans pilote"
                people = sorted(pilots.get(key, ())) if pilots and key is not None else []
                groups[key] = Missing(name, pilots=people)
            groups[key].fiches.append(fiche)
    unsteered = groups.pop(None, None)
    ordered = sorted(groups.values(), key=lambda m: (-len(m.fiches), m.organisation.casefold()))
    return ordered + ([unsteered] if unsteered else [])


def recipients(
    fiche_organisations: Mapping[K, Iterable[int]],
    pilot_organisations: Mapping[Hashable, Iterable[int]],
) -> dict[Hashable, list[K]]:
    """Who is reminded of what: each pilot gets the fiches one of their organisations steers.

    `fiche_organisations` maps each late fiche (any key) to the organisations piloting or
    co-piloting it; `pilot_organisations` maps each pilot (any key) to the organisations they
    act for as pilot. Pilots with nothing late are left out; fiches keep their given order.
    """
    found: dict[Hashable, list[K]] = {}
    for person, organisations in pilot_organisations.items():
        own = set(organisations)
        mine = [fiche for fiche, orgs in fiche_organisations.items() if own.intersection(orgs)]
        if mine:
            found[person] = mine
    return found


def changed_fields(loaded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Names of the values that differ between what a form was loaded with and what is stored
    now, in the order of `current`: what someone else changed meanwhile."""
    return [name for name, value in current.items() if loaded.get(name, "") != value]


def decimal_text(value: Decimal | None) -> str:
    """A stored decimal as a person writes it: no trailing zeros, decimal comma (« 12,5 »)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
