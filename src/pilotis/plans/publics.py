"""Target publics as a vocabulary, pure: a fiche's « Public cible » stays as written, and is
resolved to a short controlled list (petite enfance, personnes âgées…) the way organisations are
resolved, so that roll-ups and filters group « personnes âgée » with « personnes âgées ».

Each plan may edit the list (labels and the words that point to each public); it is kept in
`Plan.extra["publics"]`, and the default below applies until the coordination changes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pilotis.core.text import fold

OTHER = "other"


@dataclass(frozen=True)
class Public:
    code: str
    label: str
    words: tuple[str, ...]  # folded words or word beginnings that point to this public


DEFAULT: tuple[Public, ...] = (
    Public(
        "early_childhood",
        "Petite enfance",
        (
            "petite enfance",
            "0-3 ans",
            "0 a 3 ans",
            "nourrisson",
            "creche",
            "bebe",
            "perinat",
            "femmes enceintes",
            "future mere",
            "futurs parents",
        ),
    ),
    Public(
        "youth",
        "Enfants et jeunes",
        (
            "enfant",
            "jeune",
            "adolescent",
            "eleve",
            "scolaire",
            "etudiant",
            "mineur",
            "16-25",
            "collegien",
            "lyceen",
        ),
    ),
    Public("families", "Parents et familles", ("parent", "famili", "parentalite")),
    Public(
        "elderly",
        "Personnes âgées",
        (
            "personnes agee",
            "agee",
            "senior",
            "60 ans et plus",
            "plus de 60",
            "75 ans",
            "ehpad",
            "retraite",
            "vieillissement",
        ),
    ),
    Public(
        "disability", "Personnes en situation de handicap", ("handicap", "psh", "mdph", "invalid")
    ),
    Public(
        "precarity",
        "Personnes en précarité",
        (
            "precari",
            "isole",
            "vulnerable",
            "demandeurs d'emploi",
            "minima sociaux",
            "rsa",
            "sans domicile",
            "migrant",
            "gens du voyage",
            "detenu",
            "insertion",
            "pauvrete",
            "quartiers prioritaires",
            "qpv",
        ),
    ),
    Public("carers", "Aidants", ("aidant",)),
    Public(
        "professionals",
        "Professionnels",
        (
            "professionnel",
            "soignant",
            "medecin",
            "infirmier",
            "acteur",
            "partenaire",
            "structure",
            "etablissement",
            "intervenant",
            "benevole",
            "personnel",
        ),
    ),
    Public("elected", "Élus", ("elu", "decideur", "collectivite")),
    Public(
        "everyone",
        "Tout public",
        (
            "tout public",
            "population",
            "habitant",
            "grand public",
            "usager",
            "citoyen",
            "tous publics",
            "ensemble de la population",
        ),
    ),
)
OTHER_LABEL = "Autres publics"


def vocabulary(stored: object) -> tuple[Public, ...]:
    """The plan's list (Plan.extra["publics"]: [{code, label, words}]), else the default."""
    if not isinstance(stored, list) or not stored:
        return DEFAULT
    out = []
    for item in stored:
        if isinstance(item, dict) and item.get("code") and item.get("label"):
            words = tuple(fold(w) for w in item.get("words", []) if str(w).strip())
            out.append(Public(str(item["code"]), str(item["label"]), words))
    return tuple(out) or DEFAULT


def to_stored(publics: tuple[Public, ...]) -> list[dict]:
    return [{"code": p.code, "label": p.label, "words": list(p.words)} for p in publics]


def resolve(text: str, publics: tuple[Public, ...] = DEFAULT) -> tuple[str, ...]:
    """The labels of the controlled publics a « Public cible » text names, in the list's order;
    « Autres publics » when it names none (an empty text names nothing)."""
    folded = " " + re.sub(r"[^\w'+-]+", " ", fold(text)) + " "
    if not folded.strip():
        return ()
    found = [p.label for p in publics if any(_has(folded, word) for word in p.words)]
    return tuple(found) or (OTHER_LABEL,)


def _has(folded: str, word: str) -> bool:
    # A word matches at the start of a word of the text: « agee » finds « agees », « enfant »
    # finds « enfants » and « enfance » does not find « enfant ».
    return re.search(r"(?<![\w])" + re.escape(word), folded) is not None


def parse_lines(text: str) -> tuple[tuple[Public, ...], list[str]]:
    """The list as the coordinator types it, one public a line: « Libellé : mot, mot… ».
    Returns the publics and the problems found (with their line)."""
    publics: list[Public] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _, words = line.partition(":")
        label = " ".join(label.split())
        if not label:
            problems.append(f"ligne {number} : le libellé manque avant les deux-points")
            continue
        code = re.sub(r"[^a-z0-9]+", "-", fold(label)).strip("-")[:40]
        if code in seen:
            problems.append(f"ligne {number} : « {label} » figure deux fois")
            continue
        known = next((p for p in DEFAULT if fold(p.label) == fold(label)), None)
        word_list = tuple(fold(w) for w in re.split(r"[,;]", words) if w.strip())
        if not word_list:
            problems.append(
                f"ligne {number} : donnez après « {label} : » les mots qui désignent ce public"
            )
            continue
        seen.add(code)
        publics.append(Public(known.code if known else code, label, word_list))
    if not publics and not problems:
        problems.append("la liste est vide")
    return tuple(publics), problems


def as_lines(publics: tuple[Public, ...]) -> str:
    return "\n".join(f"{p.label} : {', '.join(p.words)}" for p in publics)
