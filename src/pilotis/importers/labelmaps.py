"""Label mappings of the general reader: reassigning a label for a whole document, and finding
the saved mapping that fits a new document. Pure functions over plain data."""

from __future__ import annotations

from collections.abc import Iterable

from pilotis.importers.general.labels import FIELDS
from pilotis.importers.review import CorrectionError
from pilotis.plans.draft import PlanDraft

# A saved mapping fits a document when they share this share of their labels (Jaccard index).
MIN_OVERLAP = 0.6


def labels_read(draft: PlanDraft) -> list[dict]:
    """Every label the general reader met and the field it read it as ([] for other readers)."""
    if draft.extra.get("reader") != "general":
        return []
    return list(draft.extra.get("labels", []))


def signature(draft: PlanDraft) -> list[str]:
    return sorted({entry["canonical"] for entry in labels_read(draft)})


def reassign(draft: PlanDraft, mapping: dict[str, str], canonical: str, field: str) -> dict:
    """The mapping with one label read as another field, for the whole document."""
    read = {entry["canonical"]: entry for entry in labels_read(draft)}
    if canonical not in read:
        raise CorrectionError("Cette rubrique n’est pas dans le document : rechargez l’aperçu.")
    if field not in FIELDS:
        raise CorrectionError(
            f"Rubrique « {read[canonical]['label']} » : le champ « {field} » n’existe pas."
        )
    return {**mapping, canonical: field}


def full_mapping(draft: PlanDraft) -> dict[str, str]:
    """Every label of the document and the field it is read as now: what a coordinator saves."""
    return {entry["canonical"]: entry["field"] for entry in labels_read(draft)}


def best_fit(labels: list[str], saved: Iterable[tuple[int, list[str]]]) -> int | None:
    """The id of the saved mapping whose labels overlap the document's most, if enough."""
    mine = set(labels)
    best, best_score = None, MIN_OVERLAP
    for key, theirs in saved:
        union = mine | set(theirs)
        score = len(mine & set(theirs)) / len(union) if union else 0.0
        if score >= best_score:
            best, best_score = key, score
    return best
