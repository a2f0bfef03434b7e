"""The easy-to-read (FALC) version of a directory entry, pure.

« L'information pour tous » rules applied here: short known words, one idea per sentence, numbers
in digits, abbreviations spelled out the first time, no italics; the page sets a sans-serif type of
14 pt or more, left-aligned, one resource per block with a pictogram for its category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pilotis.directory.models import Resource

# Abbreviations met in health directories, spelled out in FALC (« le CCAS » says nothing).
ABBREVIATIONS = {
    "CCAS": "centre communal d’action sociale",
    "CIAS": "centre intercommunal d’action sociale",
    "CMP": "centre médico-psychologique",
    "CMPP": "centre médico-psycho-pédagogique",
    "CPAM": "Assurance maladie",
    "CAF": "caisse d’allocations familiales",
    "MDPH": "maison départementale des personnes handicapées",
    "MSP": "maison de santé",
    "MSU": "maison de santé qui forme des étudiants",
    "EHPAD": "maison de retraite médicalisée",
    "PMI": "protection maternelle et infantile",
    "CPTS": "communauté des professionnels de santé du territoire",
    "CLIC": "centre d’information pour les personnes âgées",
    "SSIAD": "service de soins infirmiers à domicile",
    "SAAD": "service d’aide à domicile",
    "MFS": "maison France services",
    "ALD": "affection de longue durée",
    "CSAPA": "centre de soins en addictologie",
    "CeGIDD": "centre de dépistage gratuit",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(map(re.escape, ABBREVIATIONS)) + r")\b")


def explain(text: str, seen: set[str]) -> str:
    """Spell out each known abbreviation the first time the sheet meets it."""

    def replace(match: re.Match) -> str:
        word = match.group(1)
        if word in seen:
            return word
        seen.add(word)
        return f"{word} ({ABBREVIATIONS[word]})"

    return _ABBREVIATION.sub(replace, text)


def sentences(text: str) -> list[str]:
    """One idea per line: split a paragraph into its sentences and list items."""
    parts = re.split(r"(?<=[.!?])\s+|\n+|\s*;\s*", text.strip())
    return [p.strip().rstrip(".") + "." for p in parts if p.strip(" .")]


@dataclass
class Block:
    name: str
    icon: str
    category: str
    lines: list[tuple[str, str]]  # (what, said simply)


def block(resource: Resource, seen: set[str] | None = None) -> Block:
    seen = set() if seen is None else seen
    categories = list(resource.categories.all())
    lines: list[tuple[str, str]] = []
    if resource.description:
        lines.append(
            ("C’est quoi ?", " ".join(explain(s, seen) for s in sentences(resource.description)))
        )
    if resource.public_labels:
        who = ", ".join(label.lower() for label in resource.public_labels)
        lines.append(
            ("Pour qui ?", f"Pour les {who}." if "tout" not in who else "Pour tout le monde.")
        )
    if resource.age_min is not None or resource.age_max is not None:
        if resource.age_min is not None and resource.age_max is not None:
            age = f"De {resource.age_min} ans à {resource.age_max} ans."
        elif resource.age_min is not None:
            age = f"À partir de {resource.age_min} ans."
        else:
            age = f"Jusqu’à {resource.age_max} ans."
        lines.append(("Quel âge ?", age))
    place = ", ".join(p for p in (resource.address, resource.postcode, resource.city) if p)
    if place:
        lines.append(("Où ?", place + "."))
    if resource.opening_hours:
        lines.append(("Quand ?", " ".join(sentences(resource.opening_hours))))
    if resource.cost:
        lines.append(("Combien ça coûte ?", " ".join(sentences(resource.cost))))
    if resource.phone:
        lines.append(("Téléphone", resource.phone))
    if resource.email:
        lines.append(("Courriel", resource.email))
    return Block(
        name=explain(resource.name, seen),
        icon=categories[0].icon if categories else "fr-icon-information-line",
        category=categories[0].label if categories else "",
        lines=lines,
    )
