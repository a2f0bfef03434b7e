"""The plan editor's changes: a plan written by hand, its sections, fiches, parts and organisations.

Every change runs in one transaction, is recorded in the history with its author and a reason,
and is refused when the thing edited changed since the form was read: changes to a fiche's parts
(actions, pilots, partners, indicators, links) check and bump the fiche's `version`, as the fiche
text form does; changes to the plan's own fields, its sections and its organisations check and
bump the plan's `version`. A removal that other rows forbid (follow-up data hanging on a fiche,
an action, an indicator) is refused with a message naming what holds it.

The ordering helpers at the top are pure functions over plain data.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.db.models import Max, ProtectedError, RestrictedError
from django.utils.text import slugify

from pilotis.accounts import roles
from pilotis.core import history
from pilotis.core.text import fold
from pilotis.plans.content import VersionConflict, stored_search_text
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheLink,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
    Programme,
    Section,
    Territory,
)

# Plan identifiers that name pages rather than plans (plans/import/, plans/nouveau/).
RESERVED_SLUGS = frozenset({"import", "nouveau"})
UP, DOWN = "up", "down"


class EditRefused(Exception):
    """A change the editor refuses, with the French message saying why; nothing was saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PlanChanged(Exception):
    """The plan (its fields, sections or organisations) changed since the form was read."""

    def __init__(self, plan: Plan):
        super().__init__(f"Le plan « {plan.title} » a changé entre-temps.")
        self.plan = plan


# --- Pure helpers -------------------------------------------------------------------------------


def preorder(nodes: Iterable[tuple[int, int | None, int]]) -> list[int]:
    """Ids of (id, parent id, position) nodes depth first, siblings by position then id.

    A node whose parent is unknown is a root, so that nothing is lost.
    """
    nodes = list(nodes)
    known = {pk for pk, _, _ in nodes}
    children: dict[int | None, list[tuple[int, int]]] = {}
    for pk, parent, position in nodes:
        children.setdefault(parent if parent in known else None, []).append((position, pk))
    order: list[int] = []
    stack = sorted(children.get(None, []), reverse=True)
    while stack:
        _, pk = stack.pop()
        order.append(pk)
        stack.extend(sorted(children.get(pk, []), reverse=True))
    return order


def fiche_order(
    section_order: Sequence[int], fiches: Iterable[tuple[int, int | None, int]]
) -> list[int]:
    """Ids of (id, section id, position) fiches in the plan's reading order: section by section
    in `section_order`, then those without a known section, each group by position then id."""
    rank = {pk: i for i, pk in enumerate(section_order)}
    last = len(rank)
    return [
        pk
        for pk, _, _ in sorted(
            fiches, key=lambda f: (rank.get(f[1], last) if f[1] else last, f[2], f[0])
        )
    ]


def swapped(ids: Sequence[int], pk: int, direction: str) -> list[int]:
    """`ids` with `pk` moved one place up or down (unchanged at either end)."""
    ids = list(ids)
    i = ids.index(pk)
    j = i - 1 if direction == UP else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def next_letter(letters: Iterable[str]) -> str:
    """The next action letter after those used: A, B… Z, then numbers."""
    used = {letter.strip().upper() for letter in letters}
    for letter in string.ascii_uppercase:
        if letter not in used:
            return letter
    n = 1
    while str(n) in used:
        n += 1
    return str(n)


def unique_key(base: str, taken: Iterable[str], max_length: int = 80) -> str:
    """`base` (a slug), or `base-2`, `base-3`… the first one not in `taken`."""
    taken = set(taken)
    base = base[: max_length - 4].strip("-") or "element"
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


def plan_slug(title: str, taken: Iterable[str]) -> str:
    return unique_key(slugify(title)[:70] or "plan", {*taken, *RESERVED_SLUGS})


def merged_aliases(keep: Organisation, drop: Organisation) -> list[str]:
    """The spellings the merged organisation answers to: both names, acronyms and aliases."""
    seen: set[str] = {fold(keep.name)}
    aliases: list[str] = []
    for text in (*keep.aliases, drop.name, drop.acronym, *drop.aliases):
        if text and fold(text) not in seen:
            seen.add(fold(text))
            aliases.append(text)
    return aliases


# --- Versions and history -----------------------------------------------------------------------


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@contextmanager
def editing_fiche(fiche: Fiche, version: int, user, reason: str) -> Iterator[Fiche]:
    """Change a fiche's parts inside this block, if the fiche is still at `version`.

    The fiche's version is bumped and its search text rebuilt afterwards, in the same
    transaction; a VersionConflict (the existing conflict message) is raised otherwise.
    """
    with transaction.atomic():
        current = Fiche.objects.select_for_update().select_related("plan").get(pk=fiche.pk)
        if current.version != version:
            raise VersionConflict(current, [])
        yield current
        normalise_positions(current, user, reason)
        current.search_text = stored_search_text(current)
        updated = Fiche.objects.filter(pk=current.pk, version=version).update(
            version=version + 1, search_text=current.search_text
        )
        if not updated:  # lost a race the row lock did not prevent (SQLite has none)
            current.refresh_from_db()
            raise VersionConflict(current, [])
        current.version = version + 1
        # The fiche's record keeps the author and reason of the change with the version.
        Fiche.history.bulk_history_create(
            [current], update=True, default_user=_user(user), default_change_reason=reason
        )
    fiche.version = current.version
    fiche.search_text = current.search_text


def _renumbered(rows: Sequence) -> list:
    """`rows` (in their order) given positions 0, 1, 2…: those whose position changed."""
    changed = []
    for i, row in enumerate(rows):
        if row.position != i:
            row.position = i
            changed.append(row)
    return changed


def normalise_positions(fiche: Fiche, user, reason: str) -> None:
    """Number the fiche's parts as an import of its JSON export would: actions, programmes and
    indicators of each kind from 0 in their order, pilots and co-pilots before partners. A plan
    written by hand then re-imports unchanged (rows are matched on these positions)."""
    by_position = ("position", "pk")
    roles_rows = sorted(
        fiche.roles.all(), key=lambda r: (r.role == FicheRole.Role.PARTNER, r.position, r.pk)
    )
    indicators = list(fiche.indicators.order_by("kind", *by_position))
    groups = [
        (Action, list(fiche.actions.order_by(*by_position))),
        (FicheRole, roles_rows),
        (FicheProgramme, list(fiche.programme_links.order_by(*by_position))),
        *(
            (FicheIndicator, [i for i in indicators if i.kind == kind])
            for kind in FicheIndicator.Kind.values
        ),
    ]
    for model, rows in groups:
        history.bulk_update(model, _renumbered(rows), ["position"], user=user, reason=reason)


@contextmanager
def editing_plan(plan: Plan, version: int, user, reason: str) -> Iterator[Plan]:
    """Change the plan, its sections or its organisations, if the plan is still at `version`."""
    with transaction.atomic():
        current = Plan.objects.select_for_update().get(pk=plan.pk)
        if current.version != version:
            raise PlanChanged(current)
        yield current
        if not Plan.objects.filter(pk=current.pk, version=version).update(version=version + 1):
            raise PlanChanged(Plan.objects.get(pk=plan.pk))
        current.version = version + 1
        Plan.history.bulk_history_create(
            [current], update=True, default_user=_user(user), default_change_reason=reason
        )
    plan.version = current.version


def _save(obj: models.Model, user, reason: str, fields: Sequence[str] | None = None) -> None:
    obj._history_user = _user(user)
    obj._change_reason = reason
    obj.save(update_fields=fields)


def _create(model: type[models.Model], user, reason: str, **values) -> models.Model:
    obj = model(**values)
    _save(obj, user, reason)
    return obj


def held_by_message(subject: str, error: Exception) -> str:
    """Why `subject` ("la fiche n°3") cannot be removed: the rows that hold it, counted by kind."""
    held = list(
        getattr(error, "restricted_objects", None) or getattr(error, "protected_objects", ())
    )
    counts: Counter[tuple[str, str]] = Counter()
    campaigns: set[str] = set()
    for obj in held:
        meta = obj._meta
        counts[(str(meta.verbose_name), str(meta.verbose_name_plural))] += 1
        if hasattr(obj, "campaign_id"):
            campaigns.add(obj.campaign.year_label)
    parts = [
        f"{n} {plural if n > 1 else singular}".replace("'", "’")
        for (singular, plural), n in sorted(counts.items())
    ]
    where = ""
    if campaigns:
        s = "s" if len(campaigns) > 1 else ""
        where = f" (campagne{s} de l’{', de l’'.join(sorted(campaigns))})"
    return (
        f"Impossible de supprimer {subject} : des données de suivi s’y rattachent — "
        f"{', '.join(parts)}{where}. Archivez plutôt {subject} : archivé, un élément quitte le "
        "plan en cours et les campagnes suivantes, et ses rapports passés restent."
    )


def _delete(obj: models.Model, subject: str, user, reason: str) -> None:
    try:
        with transaction.atomic():
            history.delete(type(obj), [obj], user=user, reason=reason)
    except (RestrictedError, ProtectedError) as error:
        raise EditRefused(held_by_message(subject, error)) from error


# --- The plan itself ----------------------------------------------------------------------------


PLAN_FIELDS = (
    "kind",
    "title",
    "signatories",
    "signature_date",
    "start_year",
    "duration_years",
    "levels",
)


@dataclass
class PlanValues:
    kind: str
    title: str
    signatories: list[str]
    signature_date: date | None
    start_year: int | None
    duration_years: int
    perimeter: str  # free text until the observatory brings the geography
    levels: list[str]


def _perimeter(name: str) -> Territory | None:
    name = name.strip()
    if not name:
        return None
    territory, _ = Territory.objects.get_or_create(
        level=Territory.Level.PERIMETER, code="", name=name
    )
    return territory


def create_plan(values: PlanValues, user) -> Plan:
    """A new, unpublished plan; its creator becomes its coordinator."""
    with transaction.atomic():
        slug = plan_slug(values.title, Plan.objects.values_list("slug", flat=True))
        plan = _create(
            Plan,
            user,
            "Création du plan dans l’éditeur",
            slug=slug,
            perimeter=_perimeter(values.perimeter),
            **{name: getattr(values, name) for name in PLAN_FIELDS},
        )
        if _user(user) is not None:
            roles.grant(user, plan, roles.Role.COORDINATOR)
    return plan


def update_plan(plan: Plan, version: int, values: PlanValues, user) -> list[str]:
    """Write the plan's own fields; return the names of those that changed."""
    with editing_plan(plan, version, user, "Modification du plan") as current:
        new = {name: getattr(values, name) for name in PLAN_FIELDS}
        new["perimeter"] = _perimeter(values.perimeter)
        changed = [n for n, v in new.items() if getattr(current, n) != v]
        for name in changed:
            setattr(current, name, new[name])
        if changed:
            _save(current, user, "Modification du plan", changed)
    for name in changed:
        setattr(plan, name, getattr(current, name))
    return changed


# --- Sections -----------------------------------------------------------------------------------


def _renumber_sections(plan: Plan, user, reason: str) -> list[int]:
    """Positions of the plan's sections rewritten depth first; returns the order."""
    sections = list(Section.objects.filter(plan=plan))
    order = preorder((s.pk, s.parent_id, s.position) for s in sections)
    rank = {pk: i for i, pk in enumerate(order)}
    moved = [s for s in sections if s.position != rank[s.pk]]
    for s in moved:
        s.position = rank[s.pk]
    history.bulk_update(Section, moved, ["position"], user=user, reason=reason)
    return order


def _renumber_fiches(plan: Plan, user, reason: str, section_order: Sequence[int] | None = None):
    if section_order is None:
        section_order = preorder(plan.sections.values_list("pk", "parent_id", "position"))
    fiches = list(Fiche.objects.filter(plan=plan).only("pk", "section_id", "position"))
    order = fiche_order(section_order, ((f.pk, f.section_id, f.position) for f in fiches))
    rank = {pk: i for i, pk in enumerate(order)}
    moved = [f for f in fiches if f.position != rank[f.pk]]
    for f in moved:
        f.position = rank[f.pk]
    # Positions are bookkeeping the history pages do not show: no record for them.
    Fiche.objects.bulk_update(moved, ["position"])


def _section_key(plan: Plan) -> str:
    taken = set(plan.sections.values_list("key", flat=True))
    n = len(taken) + 1
    while f"S{n}" in taken:
        n += 1
    return f"S{n}"


def add_section(
    plan: Plan, version: int, parent: Section | None, number: str, title: str, user
) -> Section:
    reason = "Ajout d’une section"
    with editing_plan(plan, version, user, reason) as current:
        section = _create(
            Section,
            user,
            reason,
            plan=current,
            parent=parent,
            key=_section_key(current),
            depth=parent.depth + 1 if parent else 0,
            number=number.strip(),
            title=title.strip(),
            # Last among its siblings: the renumbering below makes positions exact.
            position=10**6,
        )
        _renumber_fiches(current, user, reason, _renumber_sections(current, user, reason))
    return section


def rename_section(section: Section, version: int, number: str, title: str, user) -> bool:
    reason = "Modification d’une section"
    with editing_plan(section.plan, version, user, reason):
        current = Section.objects.get(pk=section.pk)
        number, title = number.strip(), title.strip()
        if (current.number, current.title) == (number, title):
            return False
        current.number, current.title = number, title
        _save(current, user, reason, ["number", "title"])
    section.number, section.title = number, title
    return True


def move_section(section: Section, version: int, direction: str, user) -> bool:
    """One place up or down among its siblings; False at either end."""
    reason = "Déplacement d’une section"
    with editing_plan(section.plan, version, user, reason) as current:
        siblings = list(
            current.sections.filter(parent_id=section.parent_id)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
        order = swapped(siblings, section.pk, direction)
        if order == siblings:
            return False
        rows = {s.pk: s for s in Section.objects.filter(pk__in=siblings)}
        # Sibling positions only need to be in the new order: the renumbering makes them exact.
        for i, pk in enumerate(order):
            rows[pk].position = i
        Section.objects.bulk_update(rows.values(), ["position"])
        _renumber_fiches(current, user, reason, _renumber_sections(current, user, reason))
    return True


def remove_section(section: Section, version: int, user) -> None:
    """Remove an empty section; refused while it holds sections or fiches."""
    label = f"La section « {section} »"
    children = section.children.count()
    fiches = section.fiches.count()
    if children or fiches:
        held = []
        if children:
            held.append(f"{children} sous-section{'s' if children > 1 else ''}")
        if fiches:
            held.append(f"{fiches} fiche{'s' if fiches > 1 else ''}")
        raise EditRefused(
            f"{label} n’est pas vide : elle contient {' et '.join(held)}. Déplacez ou supprimez "
            "d’abord son contenu."
        )
    reason = "Suppression d’une section"
    with editing_plan(section.plan, version, user, reason) as current:
        _delete(section, f"la section « {section} »", user, reason)
        _renumber_sections(current, user, reason)


# --- Fiches -------------------------------------------------------------------------------------


def check_fiche_number(plan: Plan, number: str, fiche: Fiche | None = None) -> None:
    others = Fiche.objects.filter(plan=plan, number=number)
    if fiche is not None:
        others = others.exclude(pk=fiche.pk)
    if others.exists():
        raise EditRefused(f"Le plan a déjà une fiche n°{number} : choisissez un autre numéro.")


def add_fiche(
    plan: Plan, version: int, section: Section | None, values: dict[str, Any], user
) -> Fiche:
    """A new fiche under `section`, placed after the section's last fiche."""
    reason = "Création de la fiche dans l’éditeur"
    with editing_plan(plan, version, user, reason) as current:
        check_fiche_number(current, values["number"])
        fiche = Fiche(plan=current, section=section, position=10**6, **values)
        fiche.search_text = ""
        _save(fiche, user, reason)
        fiche.search_text = stored_search_text(fiche)
        Fiche.objects.filter(pk=fiche.pk).update(search_text=fiche.search_text)
        _renumber_fiches(current, user, reason)
    return fiche


def after_fiche_moved(fiche: Fiche, user) -> None:
    """Positions rewritten after the fiche changed section (through the fiche form)."""
    _renumber_fiches(fiche.plan, user, "Déplacement de la fiche")


def remove_fiche(fiche: Fiche, version: int, user) -> None:
    label = f"la fiche n°{fiche.number}"
    if fiche.version != version:
        raise VersionConflict(fiche, [])
    with transaction.atomic():
        current = Fiche.objects.select_for_update().get(pk=fiche.pk)
        if current.version != version:
            raise VersionConflict(current, [])
        # Rows linking other fiches to this one go with it.
        _delete(current, label, user, "Suppression de la fiche")


def set_fiche_archived(fiche: Fiche, version: int, archived: bool, user) -> bool:
    reason = "Archivage de la fiche" if archived else "Désarchivage de la fiche"
    with editing_fiche(fiche, version, user, reason) as current:
        if current.archived == archived:
            return False
        Fiche.objects.filter(pk=current.pk).update(archived=archived)
        current.archived = archived
    fiche.archived = archived
    return True


# --- Actions ------------------------------------------------------------------------------------


def _next_position(rows: models.QuerySet) -> int:
    return (rows.aggregate(m=Max("position"))["m"] or 0) + 1


def _check_letter(fiche: Fiche, letter: str, action: Action | None = None) -> None:
    same = fiche.actions.filter(letter__iexact=letter).exclude(pk=action.pk if action else None)
    taken = same.values_list("letter", flat=True).first()
    if taken is not None:
        raise EditRefused(f"La fiche a déjà une action {taken} : choisissez une autre lettre.")


def add_action(
    fiche: Fiche, version: int, letter: str, text: str, years: list[int], user
) -> Action:
    reason = "Ajout d’une action"
    with editing_fiche(fiche, version, user, reason) as current:
        letter = letter.strip() or next_letter(current.actions.values_list("letter", flat=True))
        _check_letter(current, letter)
        return _create(
            Action,
            user,
            reason,
            fiche=current,
            letter=letter,
            text=text.strip(),
            deadline_years=sorted(years),
            position=_next_position(current.actions),
        )


def update_action(
    action: Action, version: int, letter: str, text: str, years: list[int], user
) -> bool:
    reason = f"Modification de l’action {action.letter}"
    with editing_fiche(action.fiche, version, user, reason) as current:
        letter = letter.strip() or action.letter
        _check_letter(current, letter, action)
        new = {"letter": letter, "text": text.strip(), "deadline_years": sorted(years)}
        changed = [n for n, v in new.items() if getattr(action, n) != v]
        if changed and "letter" in changed:
            # Indicators aimed at the old letter follow it.
            old = action.letter
            for indicator in current.indicators.all():
                if old in indicator.action_letters:
                    indicator.action_letters = [
                        letter if x == old else x for x in indicator.action_letters
                    ]
                    _save(indicator, user, reason, ["action_letters"])
        for name in changed:
            setattr(action, name, new[name])
        if changed:
            _save(action, user, reason, changed)
    return bool(changed)


def _move(rows: list, pk: int, direction: str, user, reason: str) -> bool:
    ids = [r.pk for r in rows]
    order = swapped(ids, pk, direction)
    if order == ids:
        return False
    by_pk = {r.pk: r for r in rows}
    moved = _renumbered([by_pk[row_pk] for row_pk in order])
    history.bulk_update(type(rows[0]), moved, ["position"], user=user, reason=reason)
    return True


def move_action(action: Action, version: int, direction: str, user) -> bool:
    reason = f"Déplacement de l’action {action.letter}"
    with editing_fiche(action.fiche, version, user, reason) as current:
        return _move(
            list(current.actions.order_by("position", "pk")), action.pk, direction, user, reason
        )


def remove_action(action: Action, version: int, user) -> None:
    reason = f"Suppression de l’action {action.letter}"
    with editing_fiche(action.fiche, version, user, reason):
        _delete(action, f"l’action {action.letter}", user, reason)


def set_action_archived(action: Action, version: int, archived: bool, user) -> bool:
    verb = "Archivage" if archived else "Désarchivage"
    reason = f"{verb} de l’action {action.letter}"
    with editing_fiche(action.fiche, version, user, reason):
        if action.archived == archived:
            return False
        action.archived = archived
        _save(action, user, reason, ["archived"])
    return True


# --- Indicators ---------------------------------------------------------------------------------


def add_indicator(
    fiche: Fiche, version: int, kind: str, text: str, letters: list[str], user
) -> FicheIndicator:
    reason = "Ajout d’un indicateur"
    with editing_fiche(fiche, version, user, reason) as current:
        return _create(
            FicheIndicator,
            user,
            reason,
            fiche=current,
            kind=kind,
            text=text.strip(),
            action_letters=list(letters),
            position=_next_position(current.indicators.filter(kind=kind)),
        )


def update_indicator(
    indicator: FicheIndicator, version: int, kind: str, text: str, letters: list[str], user
) -> bool:
    reason = "Modification d’un indicateur"
    with editing_fiche(indicator.fiche, version, user, reason):
        new = {"kind": kind, "text": text.strip(), "action_letters": list(letters)}
        changed = [n for n, v in new.items() if getattr(indicator, n) != v]
        for name in changed:
            setattr(indicator, name, new[name])
        if changed:
            _save(indicator, user, reason, changed)
    return bool(changed)


def remove_indicator(indicator: FicheIndicator, version: int, user) -> None:
    reason = "Suppression d’un indicateur"
    with editing_fiche(indicator.fiche, version, user, reason):
        _delete(indicator, f"l’indicateur « {indicator.text[:80]} »", user, reason)


def set_indicator_archived(indicator: FicheIndicator, version: int, archived: bool, user) -> bool:
    reason = "Archivage d’un indicateur" if archived else "Désarchivage d’un indicateur"
    with editing_fiche(indicator.fiche, version, user, reason):
        if indicator.archived == archived:
            return False
        indicator.archived = archived
        _save(indicator, user, reason, ["archived"])
    return True


# --- Organisations and the fiche's roles --------------------------------------------------------


def _aliases(text: str | Iterable[str]) -> list[str]:
    items = text.splitlines() if isinstance(text, str) else text
    return [a.strip() for a in items if a.strip()]


def create_organisation(
    plan: Plan, name: str, acronym: str, aliases: Iterable[str], user, reason: str
) -> Organisation:
    """A new organisation of the plan; refused when its name or acronym is one already known."""
    name, acronym = name.strip(), acronym.strip()
    wanted = {fold(t) for t in (name, acronym) if t}
    for other in plan.organisations.all():
        if wanted & {fold(t) for t in (other.name, other.acronym, *other.aliases) if t}:
            raise EditRefused(
                f"L’organisation « {other.name} » existe déjà dans le plan sous ce nom ou ce "
                "sigle : choisissez-la dans la liste."
            )
    taken = plan.organisations.values_list("key", flat=True)
    return _create(
        Organisation,
        user,
        reason,
        plan=plan,
        key=unique_key(slugify(acronym or name), taken),
        name=name,
        acronym=acronym,
        aliases=_aliases(aliases),
    )


def add_role(
    fiche: Fiche,
    version: int,
    role: str,
    organisation: Organisation | None,
    new_organisation: dict[str, Any] | None,
    user,
) -> FicheRole:
    """Name an organisation (picked, or created now) pilot, co-pilot or partner of the fiche."""
    label = FicheRole.Role(role).label.lower()
    reason = f"Ajout d’un {label}" if role != FicheRole.Role.PARTNER else "Ajout d’un partenaire"
    with editing_fiche(fiche, version, user, reason) as current:
        if organisation is None:
            organisation = create_organisation(
                current.plan, user=user, reason=reason, **new_organisation
            )
        if current.roles.filter(organisation=organisation, role=role).exists():
            raise EditRefused(
                f"« {organisation.name} » est déjà {label} de la fiche n°{current.number}."
            )
        return _create(
            FicheRole,
            user,
            reason,
            fiche=current,
            organisation=organisation,
            role=role,
            as_written=organisation.name,
            position=_next_position(current.roles),
        )


def remove_role(fiche_role: FicheRole, version: int, user) -> None:
    reason = f"Retrait : {fiche_role.get_role_display().lower()} {fiche_role.as_written}"
    with editing_fiche(fiche_role.fiche, version, user, reason):
        _delete(fiche_role, f"le rôle « {fiche_role} »", user, reason)


def update_organisation(
    organisation: Organisation, version: int, name: str, acronym: str, aliases, user
) -> bool:
    reason = "Modification d’une organisation"
    with editing_plan(organisation.plan, version, user, reason):
        new = {"name": name.strip(), "acronym": acronym.strip(), "aliases": _aliases(aliases)}
        changed = [n for n, v in new.items() if getattr(organisation, n) != v]
        for n in changed:
            setattr(organisation, n, new[n])
        if changed:
            _save(organisation, user, reason, changed)
    return bool(changed)


def merge_organisations(keep: Organisation, drop: Organisation, version: int, user) -> int:
    """Merge `drop` into `keep` (the same organisation spelled two ways); returns the number of
    fiche roles moved.

    Every row naming `drop` names `keep` afterwards: fiche roles (a role `keep` already holds on
    the same fiche is dropped rather than doubled), plan memberships and invitations (whichever
    app holds them: found through the relations pointing at Organisation). `drop`'s name,
    acronym and spellings become spellings of `keep`; `drop` is deleted. All in the history.
    """
    if keep.pk == drop.pk or keep.plan_id != drop.plan_id:
        raise EditRefused("Choisissez deux organisations différentes du même plan.")
    reason = f"Fusion de « {drop.name} » dans « {keep.name} »"
    with editing_plan(keep.plan, version, user, reason):
        moved = _move_fiche_roles(keep, drop, user, reason)
        for relation in Organisation._meta.related_objects:
            model = relation.related_model
            if model is FicheRole or model.__name__.startswith("Historical"):
                continue
            if relation.many_to_many:
                _move_many_to_many(relation, keep, drop)
            elif relation.one_to_many or relation.one_to_one:
                model._base_manager.filter(**{relation.field.name: drop}).update(
                    **{relation.field.name: keep}
                )
        keep.aliases = merged_aliases(keep, drop)
        if not keep.acronym and drop.acronym:
            keep.acronym = drop.acronym
        _save(keep, user, reason, ["aliases", "acronym"])
        history.delete(Organisation, [drop], user=user, reason=reason)
    return moved


def _move_fiche_roles(keep: Organisation, drop: Organisation, user, reason: str) -> int:
    held = set(FicheRole.objects.filter(organisation=keep).values_list("fiche_id", "role"))
    rows = list(FicheRole.objects.filter(organisation=drop))
    doubles = [r for r in rows if (r.fiche_id, r.role) in held]
    moved = [r for r in rows if (r.fiche_id, r.role) not in held]
    for row in moved:
        row.organisation = keep
    history.bulk_update(FicheRole, moved, ["organisation"], user=user, reason=reason)
    history.delete(FicheRole, doubles, user=user, reason=reason)
    for fiche in Fiche.objects.filter(pk__in={r.fiche_id for r in doubles}):
        normalise_positions(fiche, user, reason)
    return len(rows)


def _move_many_to_many(relation, keep: Organisation, drop: Organisation) -> None:
    field = relation.field  # e.g. Membership.organisations
    through = field.remote_field.through
    owner, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    already = through.objects.filter(**{target: keep}).values(f"{owner}_id")
    through.objects.filter(**{target: drop, f"{owner}_id__in": already}).delete()
    through.objects.filter(**{target: drop}).update(**{target: keep})


# --- Links to other fiches and to programmes ----------------------------------------------------


def add_fiche_link(fiche: Fiche, version: int, target: Fiche, user) -> FicheLink:
    if target.pk == fiche.pk or target.plan_id != fiche.plan_id:
        raise EditRefused("Choisissez une autre fiche du même plan.")
    reason = f"Lien vers la fiche n°{target.number}"
    with editing_fiche(fiche, version, user, reason) as current:
        if FicheLink.objects.filter(from_fiche=current, to_fiche=target).exists():
            raise EditRefused(f"La fiche est déjà liée à la fiche n°{target.number}.")
        return _create(FicheLink, user, reason, from_fiche=current, to_fiche=target)


def remove_fiche_link(link: FicheLink, version: int, user) -> None:
    reason = "Retrait d’un lien entre fiches"
    with editing_fiche(link.from_fiche, version, user, reason):
        _delete(link, "le lien", user, reason)


def add_programme(
    fiche: Fiche, version: int, programme: Programme | None, new_name: str, user
) -> FicheProgramme:
    reason = "Ajout d’un programme lié"
    with editing_fiche(fiche, version, user, reason) as current:
        if programme is None:
            name = new_name.strip()
            programme = next(
                (p for p in Programme.objects.all() if fold(p.name) == fold(name)), None
            )
            if programme is None:
                code = unique_key(
                    slugify(name)[:36], Programme.objects.values_list("code", flat=True), 40
                )
                programme = Programme.objects.create(code=code, name=name)
        if current.programme_links.filter(programme=programme).exists():
            raise EditRefused(f"La fiche est déjà liée au programme « {programme.name} ».")
        return _create(
            FicheProgramme,
            user,
            reason,
            fiche=current,
            programme=programme,
            as_written=programme.name,
            position=_next_position(current.programme_links),
        )


def remove_programme(link: FicheProgramme, version: int, user) -> None:
    reason = "Retrait d’un programme lié"
    with editing_fiche(link.fiche, version, user, reason):
        _delete(link, "le lien au programme", user, reason)
