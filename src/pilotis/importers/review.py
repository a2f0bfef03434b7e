"""Review of an import before it is saved: what changes against the stored plan, and corrections.

Pure functions over drafts: the stored plan is read back as a draft (plan_from_dict) so that
both sides compare field by field, without the database.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from django.utils.text import slugify

from pilotis.core.text import fold, squash
from pilotis.plans.draft import (
    FIELD_LABELS,
    FicheDraft,
    OrganisationDraft,
    ParseError,
    PlanDraft,
    RoleDraft,
)

# Fields of a fiche compared between the stored plan and the document.
COMPARED_FIELDS = [
    "title",
    "section_key",
    "pilotage_label",
    "pilots",
    "partners",
    "context",
    "linked_fiches",
    "strategic_objective",
    "operational_objectives",
    "actions",
    "public",
    "programmes",
    "indicators",
    "extra",
]

# Fields a coordinator may correct on the preview page, with their French label and how the
# text box reads ("lines": one item per line; "numbers": fiche numbers separated by commas).
EDITABLE_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("Intitulé", "text"),
    "pilots": ("Pilotes (un par ligne)", "lines"),
    "partners": ("Partenaires (un par ligne)", "lines"),
    "public": ("Public cible", "text"),
    "strategic_objective": ("Objectif stratégique", "text"),
    "operational_objectives": ("Objectifs opérationnels (un par ligne)", "lines"),
    "linked_fiches": ("Fiches liées (numéros séparés par des virgules)", "numbers"),
    "context": ("Contexte", "text"),
}


@dataclass
class FicheChange:
    number: str
    title: str
    fields: list[str] = field(default_factory=list)  # French labels of the changed fields


@dataclass
class PlanDiff:
    """What confirming the import changes in the stored plan, element by element."""

    is_new: bool
    plan_fields: list[str] = field(default_factory=list)
    sections_added: list[str] = field(default_factory=list)
    sections_removed: list[str] = field(default_factory=list)
    sections_renamed: list[str] = field(default_factory=list)
    fiches_added: list[FicheChange] = field(default_factory=list)
    fiches_removed: list[FicheChange] = field(default_factory=list)
    fiches_changed: list[FicheChange] = field(default_factory=list)
    fiches_unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.is_new
            or self.plan_fields
            or self.sections_added
            or self.sections_removed
            or self.sections_renamed
            or self.fiches_added
            or self.fiches_removed
            or self.fiches_changed
        )


def _fiche_value(fiche: FicheDraft, name: str):
    """A comparable value of a fiche field (provenance and flags left out)."""
    if name == "pilots":
        return [(r.role, r.as_written, r.organisation) for r in fiche.pilots]
    if name == "partners":
        return [(r.as_written, r.organisation) for r in fiche.partners]
    if name == "actions":
        return [(a.letter, a.text, a.deadline_years, a.extra) for a in fiche.actions]
    if name == "indicators":
        return [(i.kind, i.actions, i.text) for i in fiche.indicators]
    return getattr(fiche, name)


def diff_plans(stored: PlanDraft | None, new: PlanDraft) -> PlanDiff:
    if stored is None:
        return PlanDiff(
            is_new=True,
            sections_added=[s.title for s in new.sections],
            fiches_added=[FicheChange(f.number, f.title) for f in new.fiches],
        )
    diff = PlanDiff(is_new=False)
    for name, label in [
        ("title", "titre"),
        ("kind", "type"),
        ("signatories", "signataires"),
        ("signature_date", "date de signature"),
        ("start_year", "année 1"),
        ("duration_years", "durée"),
        ("levels", "noms des niveaux"),
    ]:
        if getattr(stored, name) != getattr(new, name):
            diff.plan_fields.append(label)
    old_sections = {s.key: s for s in stored.sections}
    new_sections = {s.key: s for s in new.sections}
    diff.sections_added = [s.title for k, s in new_sections.items() if k not in old_sections]
    diff.sections_removed = [s.title for k, s in old_sections.items() if k not in new_sections]
    diff.sections_renamed = [
        f"{old_sections[k].title} → {s.title}"
        for k, s in new_sections.items()
        if k in old_sections and old_sections[k].title != s.title
    ]
    old_fiches = {f.number: f for f in stored.fiches}
    new_fiches = {f.number: f for f in new.fiches}
    for number, fiche in new_fiches.items():
        before = old_fiches.get(number)
        if before is None:
            diff.fiches_added.append(FicheChange(number, fiche.title))
            continue
        changed = [
            FIELD_LABELS[name]
            for name in COMPARED_FIELDS
            if _fiche_value(before, name) != _fiche_value(fiche, name)
        ]
        if changed:
            diff.fiches_changed.append(FicheChange(number, fiche.title, changed))
        else:
            diff.fiches_unchanged += 1
    diff.fiches_removed = [
        FicheChange(n, f.title) for n, f in old_fiches.items() if n not in new_fiches
    ]
    return diff


class CorrectionError(ParseError):
    """A correction that cannot be applied; the French message names the fiche and the field."""


def current_value(fiche: FicheDraft, name: str) -> str:
    """The text a coordinator sees in the correction box of a field."""
    if name == "pilots":
        return "\n".join(r.as_written for r in fiche.pilots)
    if name == "partners":
        return "\n".join(r.as_written for r in fiche.partners)
    if name == "operational_objectives":
        return "\n".join(fiche.operational_objectives)
    if name == "linked_fiches":
        return ", ".join(fiche.linked_fiches)
    return getattr(fiche, name)


def apply_corrections(draft: PlanDraft, corrections: dict[str, dict[str, str]]) -> PlanDraft:
    """A copy of `draft` with the coordinator's corrections applied.

    `corrections` maps a fiche number to {field: text as typed}. A corrected field loses its
    review flags (the coordinator has checked it) and the correction is recorded in
    `extra["corrections"]`, so the stored plan says which values do not come from the document.
    """
    result = copy.deepcopy(draft)
    fiches = {f.number: f for f in result.fiches}
    organisations = {o.key: o for o in result.organisations}
    recorded = result.extra.setdefault("corrections", [])
    for number, fields in corrections.items():
        fiche = fiches.get(number)
        if fiche is None:
            raise CorrectionError(f"Fiche n°{number} : elle n'existe pas dans le document.")
        for name, typed in fields.items():
            if name not in EDITABLE_FIELDS:
                raise CorrectionError(
                    f"Fiche n°{number} : la rubrique « {name} » ne se corrige pas ici."
                )
            before = current_value(fiche, name)
            _apply(fiche, name, typed, fiches, organisations)
            fiche.flags = [flag for flag in fiche.flags if flag.field != name]
            after = current_value(fiche, name)
            if after != before:
                recorded.append({"fiche": number, "field": name, "before": before, "after": after})
    result.organisations = sorted(organisations.values(), key=lambda o: fold(o.name))
    if not recorded:
        del result.extra["corrections"]
    return result


def _apply(
    fiche: FicheDraft,
    name: str,
    typed: str,
    fiches: dict[str, FicheDraft],
    organisations: dict[str, OrganisationDraft],
) -> None:
    label = FIELD_LABELS[name]
    if name in ("pilots", "partners"):
        lines = [squash(line) for line in typed.splitlines() if squash(line)]
        if name == "pilots" and not lines:
            raise CorrectionError(f"Fiche n°{fiche.number}, {label} : indiquez au moins un pilote.")
        role = "partner"
        if name == "pilots":
            role = "copilot" if fiche.pilotage_label == "co-pilotage" else "pilot"
        kept = [r for r in fiche.roles if (r.role == "partner") == (name == "pilots")]
        new_roles = [RoleDraft(role, text, organisation_for(text, organisations)) for text in lines]
        fiche.roles = new_roles + kept if name == "pilots" else kept + new_roles
    elif name == "operational_objectives":
        fiche.operational_objectives = [squash(x) for x in typed.splitlines() if squash(x)]
    elif name == "linked_fiches":
        numbers = [n for n in re.split(r"[,;\s]+", typed) if n]
        unknown = [n for n in numbers if n not in fiches]
        if unknown:
            raise CorrectionError(
                f"Fiche n°{fiche.number}, {label} : "
                + ", ".join(f"n°{n}" for n in unknown)
                + (" n'existe pas" if len(unknown) == 1 else " n'existent pas")
                + " dans ce plan."
            )
        if fiche.number in numbers:
            raise CorrectionError(
                f"Fiche n°{fiche.number}, {label} : une fiche ne se lie pas à elle-même."
            )
        fiche.linked_fiches = list(dict.fromkeys(numbers))
    else:
        text = typed.strip() if name == "context" else squash(typed)
        if name == "title" and not text:
            raise CorrectionError(
                f"Fiche n°{fiche.number}, {label} : l'intitulé ne peut être vide."
            )
        setattr(fiche, name, text)


def organisation_for(text: str, organisations: dict[str, OrganisationDraft]) -> str:
    """The organisation a typed name designates: a known spelling, else a new organisation."""
    folded = fold(text)
    for org in organisations.values():
        if folded in {fold(a) for a in [org.name, org.acronym, *org.aliases] if a}:
            if text not in org.aliases:
                org.aliases.append(text)
            return org.key
    key = slugify(folded)[:80] or "organisation"
    while key in organisations:
        key += "-1"
    organisations[key] = OrganisationDraft(
        key=key, name=text[:1].upper() + text[1:], aliases=[text]
    )
    return key
