"""A fiche's history as its page shows it: who changed what and when, each field before → after."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from pilotis.plans.content import RESTORED_FIELDS, field_label
from pilotis.plans.draft import EXTRA_LABELS, FIELD_LABELS
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheLink,
    FicheProgramme,
    FicheRole,
    Organisation,
    Section,
)

# Bookkeeping that changes with every re-import of a longer or shorter document: not shown.
HIDDEN_FIELDS = frozenset(
    {
        "id",
        "plan",
        "fiche",
        "from_fiche",
        "programme",
        "position",
        "source_first_line",
        "source_last_line",
        "version",
        "search_text",
    }
)
KIND_LABELS = {"+": "Création", "~": "Modification", "-": "Suppression"}
EMPTY = "—"
# Rows written by one import or one save carry dates a few milliseconds apart: one change set.
SAME_CHANGE = timedelta(minutes=2)


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One recorded change of the fiche or of one of its parts."""

    subject: str
    kind: str
    changes: list[Change]
    record: Any  # the historical row
    restorable: bool = False

    @property
    def date(self) -> datetime:
        return self.record.history_date


@dataclass
class ChangeSet:
    """The entries one person (or one import) recorded together."""

    date: datetime
    user: str
    reason: str
    entries: list[Entry] = field(default_factory=list)
    user_id: int | None = None


def user_label(user) -> str:
    if user is None:
        return "Sans compte (commande ou traitement automatique)"
    return user.get_full_name() or user.get_username()


class _Names:
    """Names of what the rows point to (sections, organisations, fiches): three queries."""

    def __init__(self, fiche: Fiche):
        self.sections = {
            s.pk: f"{s.number} {s.title}".strip()
            for s in Section.objects.filter(plan_id=fiche.plan_id).only("number", "title")
        }
        self.organisations = dict(
            Organisation.objects.filter(plan_id=fiche.plan_id).values_list("pk", "name")
        )
        self.fiches = dict(Fiche.objects.filter(plan_id=fiche.plan_id).values_list("pk", "number"))

    def fiche(self, pk) -> str:
        return f"Fiche n°{self.fiches[pk]}" if pk in self.fiches else "une fiche supprimée"


def _text(model, name: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    if name == "section":
        return names.sections.get(value, "une section supprimée")
    if name == "organisation":
        return names.organisations.get(value, "une organisation supprimée")
    if name == "to_fiche":
        return names.fiche(value)
    if name == "review_flags":
        return "\n".join(
            f"{FIELD_LABELS.get(f.get('field'), f.get('field'))} : {f.get('message')}"
            for f in value
        )
    if isinstance(value, dict):
        return "\n".join(f"{EXTRA_LABELS.get(k, k)} : {v}" for k, v in value.items())
    if isinstance(value, list):
        separator = (
            ", " if all(isinstance(v, int) for v in value) or name == "action_letters" else "\n"
        )
        return separator.join(str(v) for v in value)
    return str(value)


def _fields(record, hidden: frozenset[str] = HIDDEN_FIELDS) -> list[tuple[str, str]]:
    """(name, attname) of the fields a page shows, in the model's order."""
    return [(f.name, f.attname) for f in record.tracked_fields if f.name not in hidden]


def _subject(model, record, names: _Names) -> str:
    if model is Fiche:
        return "Fiche"
    if model is Action:
        return f"Action {record.letter}"
    if model is FicheIndicator:
        return f"{record.get_kind_display()} : {record.text[:80]}"
    if model is FicheRole:
        return f"{record.get_role_display()} : {record.as_written}"
    if model is FicheProgramme:
        return f"Programme lié : {record.as_written}"
    return f"Lien vers la {names.fiche(record.to_fiche_id).lower()}"


def _entries(
    model,
    records: list,
    names: _Names,
    subject: Callable[[Any], str] | None = None,
    hidden: frozenset[str] = HIDDEN_FIELDS,
) -> list[Entry]:
    """Entries of one object's records, oldest first, each compared with the one before."""
    entries = []
    previous = None
    for record in records:
        fields = _fields(record, hidden)
        changes = []
        if record.history_type == "~" or (record.history_type == "+" and model is not Fiche):
            for name, attname in fields:
                after = getattr(record, attname)
                if previous is not None:
                    before = getattr(previous, attname)
                    if before == after:
                        continue
                    before_text = _text(model, name, before, names)
                elif record.history_type == "+":
                    if after in (None, "", [], {}):
                        continue
                    before_text = EMPTY
                else:
                    before_text = "inconnu (avant l’historique)"
                changes.append(
                    Change(field_label(model, name), before_text, _text(model, name, after, names))
                )
            if record.history_type == "~" and not changes:
                previous = record
                continue  # only bookkeeping changed (position, source lines)
        title = subject(record) if subject else _subject(model, record, names)
        entries.append(Entry(title, KIND_LABELS[record.history_type], changes, record))
        previous = record
    return entries


@dataclass(frozen=True)
class Source:
    """Historical records of another app that belong in a fiche's history."""

    model: type
    records: QuerySet  # the model's historical records about the fiche
    subject: Callable[[Any], str]  # what a record is about, as the page names it
    hidden: frozenset[str] = HIDDEN_FIELDS


# Apps whose data hangs on fiches (the follow-up) add their records to the fiche's history without
# the plans app knowing them: each provider gives the sources for one fiche, in a fixed number of
# queries. Registered from the app's AppConfig.ready().
SOURCE_PROVIDERS: list[Callable[[Fiche], list[Source]]] = []


def register_source(provider: Callable[[Fiche], list[Source]]) -> None:
    if provider not in SOURCE_PROVIDERS:
        SOURCE_PROVIDERS.append(provider)


def fiche_history(fiche: Fiche) -> list[ChangeSet]:
    """Every recorded change of the fiche and of its parts, newest first, grouped by change set.

    Nine queries whatever the length of the history, plus those of the registered providers.
    """
    sources = [
        (Fiche, Fiche.history.filter(id=fiche.pk)),
        (Action, Action.history.filter(fiche_id=fiche.pk)),
        (FicheIndicator, FicheIndicator.history.filter(fiche_id=fiche.pk)),
        (FicheRole, FicheRole.history.filter(fiche_id=fiche.pk)),
        (FicheProgramme, FicheProgramme.history.filter(fiche_id=fiche.pk)),
        (FicheLink, FicheLink.history.filter(from_fiche_id=fiche.pk)),
    ]
    names = _Names(fiche)
    entries: list[Entry] = []
    for model, queryset in sources:
        by_object: dict[int, list] = defaultdict(list)
        for record in queryset.select_related("history_user").order_by(
            "history_date", "history_id"
        ):
            by_object[record.id].append(record)
        for records in by_object.values():
            object_entries = _entries(model, records, names)
            if model is Fiche:
                # Every state but the current one can be brought back.
                for entry in object_entries[:-1]:
                    entry.restorable = entry.record.history_type != "-"
            entries += object_entries
    for provider in SOURCE_PROVIDERS:
        for source in provider(fiche):
            by_object = defaultdict(list)
            for record in source.records.select_related("history_user").order_by(
                "history_date", "history_id"
            ):
                by_object[record.id].append(record)
            for records in by_object.values():
                entries += _entries(source.model, records, names, source.subject, source.hidden)
    entries.sort(key=lambda e: (e.date, e.record.history_id), reverse=True)
    return _change_sets(entries)


def _change_sets(entries: list[Entry]) -> list[ChangeSet]:
    sets: list[ChangeSet] = []
    for entry in entries:
        record = entry.record
        reason = record.history_change_reason or ""
        last = sets[-1] if sets else None
        if (
            last is not None
            and last.reason == reason
            and last.user_id == record.history_user_id
            and last.date - entry.date <= SAME_CHANGE
        ):
            last.entries.append(entry)
            continue
        user = user_label(record.history_user)
        sets.append(ChangeSet(entry.date, user, reason, [entry], record.history_user_id))
    return sets


def fiche_record(fiche: Fiche, history_id: int):
    """One historical state of the fiche, or None."""
    return Fiche.history.filter(id=fiche.pk, history_id=history_id).first()


def restore_preview(fiche: Fiche, record) -> list[Change]:
    """What restoring `record` would change: each field now → then."""
    names = _Names(fiche)
    return [
        Change(
            field_label(Fiche, name),
            _text(Fiche, name, getattr(fiche, name), names),
            _text(Fiche, name, getattr(record, name), names),
        )
        for name in RESTORED_FIELDS
        if getattr(fiche, name) != getattr(record, name)
    ]
