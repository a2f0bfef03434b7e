"""The partnership, pure: who the organisations are (a type guessed from their name until the
coordination sets it), and who is involved in which fiche and section of the plan."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pilotis.core.text import fold

# Folded words or acronyms → kind, tried in order: the first that the name or acronym holds wins.
KIND_HINTS: tuple[tuple[str, str], ...] = (
    (r"\b(cpam|msa|caf|carsat|assurance maladie|securite sociale|urssaf)\b", "social_security"),
    (
        r"\b(ars|prefecture|etat|education nationale|dreets|ddets|ddt|sdis|dsden|pjj|spip)\b",
        "state",
    ),
    (
        r"\b(cpts|urps|ordre|msp|maison de sante|medecins?|infirmier|pharmacien|sos medecins)\b",
        "professionals",
    ),
    (r"\b(ch|chu|hopital|hospitalier|clinique|ehpad|ssiad|esms|ght|cmp|samu)\b", "hospital"),
    (
        r"\b(departement|region|commune|mairie|ville|agglo|agglomeration|communaute|cias|ccas|"
        r"conseil departemental|conseil regional|syndicat|pays|pnr|metropole|epci)\b",
        "local_authority",
    ),
    (r"\b(universite|ecole|college|lycee|ifsi|ireps|ors|inserm)\b", "education"),
    (r"\b(france assos|usagers|habitants|codev|conseil citoyen|uraf|udaf)\b", "users"),
    (
        r"\b(association|asso|ligue|croix-rouge|secours|restos|mutualite|planning familial|anpaa|"
        r"addictions france)\b",
        "association",
    ),
)


def guess_kind(name: str, acronym: str = "") -> str:
    """A likely kind from the name and acronym (« » when nothing matches): a hint shown until the
    coordination chooses, never stored silently."""
    text = f" {fold(name)} {fold(acronym)} "
    for pattern, kind in KIND_HINTS:
        if re.search(pattern, text):
            return kind
    return ""


@dataclass(frozen=True)
class Involvement:
    organisation_id: int
    fiche_id: int
    section_id: int | None  # the fiche's top-level section
    role: str  # pilot, copilot, partner


@dataclass
class SectionRow:
    organisation_id: int
    by_section: Counter = field(default_factory=Counter)  # section id → fiches involved
    piloted: int = 0
    total: int = 0


def involvement_by_section(rows: Iterable[Involvement]) -> list[SectionRow]:
    """For each organisation: in how many fiches of each top-level section it is involved, how
    many it pilots or co-pilots, most involved first."""
    seen: dict[int, set[tuple[int, int | None]]] = {}
    piloted: dict[int, set[int]] = {}
    for row in rows:
        seen.setdefault(row.organisation_id, set()).add((row.fiche_id, row.section_id))
        if row.role in ("pilot", "copilot"):
            piloted.setdefault(row.organisation_id, set()).add(row.fiche_id)
    out = []
    for organisation_id, fiches in seen.items():
        counter = Counter(section for _fiche, section in fiches)
        out.append(
            SectionRow(
                organisation_id,
                counter,
                piloted=len(piloted.get(organisation_id, ())),
                total=len(fiches),
            )
        )
    out.sort(key=lambda r: (-r.total, -r.piloted, r.organisation_id))
    return out


ROLE_LETTERS = {"pilot": "P", "copilot": "CP", "partner": "Pa"}
ROLE_RANK = {"pilot": 0, "copilot": 1, "partner": 2}


def matrix(
    fiches: list[tuple[int, str, str]],
    organisations: list[tuple[int, str]],
    rows: Iterable[Involvement],
) -> list[list[object]]:
    """The fiche × organisation table as rows of cells: a header row, then one row per fiche
    (number, title, then « Pilote », « Co-pilote » or « Partenaire » under each organisation)."""
    labels = {"pilot": "Pilote", "copilot": "Co-pilote", "partner": "Partenaire"}
    best: dict[tuple[int, int], str] = {}
    for row in rows:
        key = (row.fiche_id, row.organisation_id)
        if key not in best or ROLE_RANK[row.role] < ROLE_RANK[best[key]]:
            best[key] = row.role
    table: list[list[object]] = [["Fiche", "Intitulé", *(name for _pk, name in organisations)]]
    for fiche_id, number, title in fiches:
        table.append(
            [
                number,
                title,
                *(labels.get(best.get((fiche_id, pk), ""), "") for pk, _name in organisations),
            ]
        )
    return table
