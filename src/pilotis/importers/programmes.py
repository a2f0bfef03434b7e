"""Which shared programme (PRS, PRSE, CTG, PAT…) a fiche's "linked programme" line names."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.utils.text import slugify

from pilotis.core.text import fold, squash

# Programme.code is a SlugField(max_length=40).
CODE_MAX_LENGTH = 40


@dataclass(frozen=True)
class ProgrammeRef:
    code: str
    name: str


# Order matters: the first pattern that matches wins, so "PRSE" is tried before "PRS" and the
# specific CPTS / mental-health names before anything broader. Patterns run on folded text
# (lower case, no accents), with word boundaries so "prs" does not match inside "prse".
_KNOWN: list[tuple[re.Pattern[str], ProgrammeRef]] = [
    (
        re.compile(r"\bprse\b|sante[ -]environnement"),
        ProgrammeRef("prse", "Plan régional santé environnement (PRSE)"),
    ),
    (
        re.compile(r"\bprs\b|projet regional de sante"),
        ProgrammeRef("prs", "Projet régional de santé (PRS)"),
    ),
    (
        re.compile(r"\bctg\b|convention territoriale globale"),
        ProgrammeRef("ctg", "Convention territoriale globale (CTG)"),
    ),
    (
        re.compile(r"\bpat\b|projet alimentaire territorial"),
        ProgrammeRef("pat", "Projet alimentaire territorial (PAT)"),
    ),
    (
        re.compile(r"\bpcaet\b|plan climat[ -]air[ -]energie"),
        ProgrammeRef("pcaet", "Plan climat-air-énergie territorial (PCAET)"),
    ),
    (
        re.compile(r"\bclsm\b|contrat local de sante mentale"),
        ProgrammeRef("clsm", "Contrat local de santé mentale (CLSM)"),
    ),
    (
        re.compile(r"\bptsm\b|projet territorial de sante mentale"),
        ProgrammeRef("ptsm", "Projet territorial de santé mentale (PTSM)"),
    ),
    (
        re.compile(r"^pnns\b|programme national nutrition sante"),
        ProgrammeRef("pnns", "Programme national nutrition santé (PNNS)"),
    ),
    (
        re.compile(r"\bcpts\b"),
        ProgrammeRef("cpts", "Projets de santé des CPTS"),
    ),
]

# List markers the conversion leaves in front of a line ("- PRS…", "• CTG").
_BULLET = re.compile(r"^\s*[-–—•·*]+\s*")


def clean_programme_text(as_written: str) -> str:
    """The programme line without its list marker and extra spaces."""
    return squash(_BULLET.sub("", as_written, count=1))


def programme_for(as_written: str) -> ProgrammeRef:
    """The shared programme a line names: a known code, otherwise a slug of the text itself."""
    text = clean_programme_text(as_written)
    folded = fold(text)
    for pattern, ref in _KNOWN:
        if pattern.search(folded):
            return ref
    return ProgrammeRef(programme_code_from_text(text), text)


def programme_code_from_text(text: str) -> str:
    """A slug of the text that fits Programme.code; long texts keep a hash so they stay distinct."""
    slug = slugify(fold(text)) or "programme"
    if len(slug) <= CODE_MAX_LENGTH:
        return slug
    digest = hashlib.sha1(slug.encode()).hexdigest()[:8]
    return f"{slug[: CODE_MAX_LENGTH - 9].rstrip('-')}-{digest}"
