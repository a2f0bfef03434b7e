"""Headings of French contracts: where a fiche starts, which sections hold it, what a label is.

To teach the general reader a new heading, add a pattern here: fiche headings give the fiche's
number (group "number", optional) and title (group "title", optional: else the next line or the
"Intitulé" rubric gives it); section headings give the level's name as the document writes it,
its number and title. Patterns are matched against a line with its spaces collapsed.
"""

from __future__ import annotations

import re

# A number as contracts write them: "1", "1.2", "1.2.3", "12 bis", "IV", "A".
_NUMBER = r"(?P<number>\d{1,3}(?:[.\-]\d{1,3}){0,3}(?:\s?bis)?|[IVX]{1,5}|[A-Z])"
# Between a heading's number and its title.
_SEP = r"\s*(?:[:.\-–—)]|\s)\s*"

FICHE_HEADINGS: list[re.Pattern[str]] = [
    # "Fiche action n° 1.2 : Titre", "FICHE-ACTION N°3 – Titre", "Fiche actions 4", "Fiche n°7 –"
    re.compile(
        r"^fiches?(?:[\s-]+actions?)?\s*(?:n\s*°|n°|no\.?|numéro|#)?\s*" + _NUMBER + r"\b"
        r"(?:" + _SEP + r"(?P<title>\S.*))?$",
        re.IGNORECASE,
    ),
    # "Action 3 : Titre", "Action n°1.2 - Titre", "ACTION 4"
    re.compile(
        r"^actions?\s*(?:n\s*°|n°|no\.?)?\s*(?P<number>\d{1,3}(?:\.\d{1,3}){0,3})\b"
        r"(?:" + _SEP + r"(?P<title>\S.*))?$",
        re.IGNORECASE,
    ),
    # "Fiche action : Titre" (no number: numbered in order)
    re.compile(r"^fiches?[\s-]+actions?\s*[:–—-]\s*(?P<title>\S.*)$", re.IGNORECASE),
]

# Section levels: the keyword as contracts write it; the level's name is the keyword as written.
# Only numbered headings open a section ("Axe 2 : …", "Priorité II –"): an unnumbered
# "Objectif stratégique :" inside a fiche is one of its rubrics.
SECTION_KEYWORDS = [
    "orientation stratégique",
    "orientation",
    "axe stratégique",
    "axe",
    "priorité",
    "ambition",
    "enjeu",
    "engagement",
    "mission",
    "thématique",
    "volet",
    "défi",
    "objectif stratégique",
    "objectif général",
]
SECTION_HEADING = re.compile(
    r"^(?P<keyword>"
    + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in SECTION_KEYWORDS)
    + r")\s*(?:n\s*°|n°)?\s*"
    + _NUMBER
    + r"\b(?:"
    + _SEP
    + r"(?P<title>\S.*))?$",
    re.IGNORECASE,
)

# "Label : value" on one line; the label is short and starts with a capital (or is bold).
LABEL_LINE = re.compile(r"^(?P<label>[^\W\d_][^:]{0,70}?)\s*:\s*(?P<value>.*)$")
# A label alone on its line (a heading, a table cell): short, no final full stop.
MAX_LABEL_WORDS = 9
# Sub-labels inside an indicator rubric: "De processus :", "Indicateurs de résultat :".
INDICATOR_KIND = re.compile(
    r"^(?:indicateurs?\s+)?(?:(?P<monitoring>de\s+(?:processus|suivi|réalisation|moyens?|"
    r"activité))|(?P<result>de\s+résultats?|d['’]impact|d['’]efficacité))\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# References to other fiches in a "Liens avec…" rubric: "fiche 2.1", "FA n°7", "fiches 3 et 4".
FICHE_REFERENCE = re.compile(
    r"\b(?:fiches?(?:[\s-]+actions?)?|FA|actions?)\s*(?:n\s*°|n°)?\s*"
    r"(?P<numbers>\d{1,3}(?:\.\d{1,3})*(?:\s*(?:,|et|&)\s*\d{1,3}(?:\.\d{1,3})*)*)",
    re.IGNORECASE,
)
# A plan's period in its title or first pages: "2025-2029", "2025 – 2030".
PERIOD = re.compile(r"\b(20[2-4]\d)\s*(?:-|–|—|/|à)\s*(20[2-4]\d)\b")
# What a document's title says it is.
KIND_WORDS = [
    ("cpts", re.compile(r"\bCPTS\b|communauté\s+professionnelle\s+territoriale", re.I)),
    ("cls", re.compile(r"contrat\s+local\s+de\s+santé|\bCLS\b", re.I)),
]


def fiche_heading(line: str) -> re.Match[str] | None:
    for pattern in FICHE_HEADINGS:
        match = pattern.match(line)
        if match:
            return match
    return None


def section_heading(line: str) -> re.Match[str] | None:
    return SECTION_HEADING.match(line)
