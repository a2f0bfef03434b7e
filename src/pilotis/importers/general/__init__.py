"""The general reader: a contract of any layout, read from the labels French contracts share.

It takes over when no known layout recognises a document. `labels.py` and `patterns.py` say
what it knows (extend them, not the engine); `blocks.py` reads the document, `engine.py` cuts
it into fiches of labelled rubrics, `fields.py` turns the rubrics into a fiche's fields.
"""

from __future__ import annotations

import re

from django.utils.text import slugify

from pilotis.core.text import fold, squash
from pilotis.importers.general import patterns
from pilotis.importers.general.blocks import Block, Paragraph, docx_blocks, text_blocks
from pilotis.importers.general.engine import Collector, RawFiche
from pilotis.importers.general.fields import Context, build_fiche
from pilotis.importers.organisations import OrganisationResolver
from pilotis.plans.draft import ParseError, PlanDraft, SectionDraft, Span, UnplacedLine

LABEL = "Contrat de mise en page libre (lecture générale des rubriques)"
# Past this, a document is not one contract (about 1,000 pages of text).
MAX_LINES = 60_000
# What the reader looks for, said when it finds no fiche.
LOOKED_FOR = (
    "des titres de fiche tels que « Fiche action n° 1.2 », « Action 3 : » ou « Fiche n°7 – », "
    "ou un tableau par fiche, avec des rubriques telles que « Pilote », « Partenaires », "
    "« Public cible », « Objectif général », « Étapes », « Calendrier » ou « Indicateurs »"
)


def read(text: str, document: str, data: bytes | None = None, mapping=None) -> PlanDraft:
    """Read a document of unknown layout; `data` is the DOCX's bytes when it is one (its tables
    are then read as tables), `mapping` the coordinator's label corrections (canonical label
    -> field code). Raises ParseError when no fiche can be read."""
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise ParseError(
            f"Le document « {document} » est trop long pour un contrat : {lines} lignes "
            f"(environ {lines // 50} pages), au-delà des {MAX_LINES} lignes (environ "
            f"{MAX_LINES // 50} pages) que Pilotis lit. Déposez le contrat seul, sans ses "
            "annexes (diagnostic, comptes rendus)."
        )
    blocks: list[Block] | None = None
    if data is not None:
        try:
            blocks = docx_blocks(data)
        except Exception:  # the text reader read it: its text then, without tables
            blocks = None
    return parse_blocks(blocks or text_blocks(text), document, mapping)


def parse_blocks(blocks: list[Block], document: str, mapping=None) -> PlanDraft:
    collected = Collector(blocks, mapping).collect()
    fiches = _keep_fiches(collected.fiches)
    if not fiches:
        headings = len(collected.fiches)
        found = (
            f"{headings} titre{'s' if headings > 1 else ''} de fiche trouvé"
            f"{'s' if headings > 1 else ''}, mais aucune rubrique reconnue dessous"
            if headings
            else "aucun titre de fiche ni tableau de rubriques trouvé"
        )
        raise ParseError(
            f"Le document « {document} » n'est pas reconnu comme un plan importable : il n'a la "
            f"forme d'aucun des modèles connus, et la lecture générale n'y trouve aucune fiche "
            f"({found}). Pilotis y a cherché {LOOKED_FOR}."
        )
    title = _title(collected.preamble, fiches[0].title or document)
    kind = _kind(collected.preamble, title)
    start_year, duration = _period(collected.preamble, title)
    ctx = Context(document, start_year, duration, OrganisationResolver())
    drafts = []
    numbers: set[str] = set()
    for index, raw in enumerate(fiches, 1):
        if not raw.number:
            raw.number = str(index)
        fiche = build_fiche(raw, ctx)
        if fiche.number in numbers:
            original = fiche.number
            n = 2
            while f"{original}-{n}" in numbers:
                n += 1
            fiche.number = f"{original}-{n}"[:20]
            fiche.flags.append(
                _flag_number(f"numéro {original} déjà pris par une autre fiche", fiche.span)
            )
        numbers.add(fiche.number)
        drafts.append(fiche)
    sections, levels = _sections_with_fiches(collected, drafts)
    first = min(f.span.first_line for f in drafts)
    last = max(f.span.last_line for f in drafts)
    unplaced = [UnplacedLine(line, text, reason) for line, text, reason in collected.skipped]
    unplaced += ctx.unplaced
    draft = PlanDraft(
        kind=kind,
        slug=(slugify(fold(title))[:80].strip("-") or "plan"),
        title=title[:300],
        document=document,
        levels=levels,
        start_year=start_year,
        duration_years=duration,
        sections=[
            SectionDraft(
                key=s.key,
                level=s.level,
                number=s.number[:20],
                title=s.title,
                parent_key=s.parent_key,
                span=Span(document, s.line, s.line),
            )
            for s in sections
        ],
        fiches=drafts,
        organisations=ctx.resolver.organisations(),
        unplaced=sorted(unplaced, key=lambda u: u.line),
        fiche_part=(first, last),
        extra={"reader": "general", "labels": sorted(ctx.labels.values(), key=_label_order)},
    )
    return draft


def _sections_with_fiches(collected, fiches) -> tuple[list, list[str]]:
    """The sections holding fiches (directly or below), and the names of their levels: a
    heading of the strategy's summary that no fiche follows is no section of the plan."""
    by_key = {s.key: s for s in collected.sections}
    kept: set[str] = set()
    for fiche in fiches:
        key = fiche.section_key
        while key and key not in kept:
            kept.add(key)
            key = by_key[key].parent_key if key in by_key else None
    sections = [s for s in collected.sections if s.key in kept]
    levels: list[str] = []
    for section in sorted(sections, key=lambda s: s.level):
        if section.level == len(levels):
            levels.append(section.keyword[:1].upper() + section.keyword[1:].lower())
    return sections, levels


def _label_order(entry: dict) -> tuple:
    return (entry["known"], entry["field"], fold(entry["label"]))


def _flag_number(message: str, span: Span):
    from pilotis.plans.draft import ReviewFlag

    return ReviewFlag("number", message + " : renuméroté, à vérifier.", span)


def _keep_fiches(fiches: list[RawFiche]) -> list[RawFiche]:
    """Fiches with at least one rubric the tables know; a heading with nothing under it (a table
    of contents, a fiche announced twice) lends its title to the fiche of the same number."""
    kept = [f for f in fiches if f.labelled]
    titles = {f.number: f.title for f in fiches if not f.labelled and f.number and f.title}
    for fiche in kept:
        if not fiche.title and fiche.number in titles:
            fiche.title = titles[fiche.number]
    return kept


def _title(preamble: list[Paragraph], fallback: str) -> str:
    """The document's title: its first line naming a contract or project, else its first
    heading, else its first line."""
    head = preamble[:60]
    named = [p for p in head if any(r.search(p.text) for _k, r in patterns.KIND_WORDS)]
    chosen = next((p for p in named if len(p.text) <= 200), None)
    chosen = chosen or next((p for p in head if p.heading and len(p.text) <= 200), None)
    chosen = chosen or next((p for p in head if 3 <= len(squash(p.text)) <= 200), None)
    text = squash(chosen.text) if chosen else squash(fallback)
    if text.isupper():
        text = text[:1] + text[1:].lower()
        text = re.sub(r"\b(cls|cpts|ars|prs)\b", lambda m: m.group(1).upper(), text)
    return text or "Plan importé"


def _kind(preamble: list[Paragraph], title: str) -> str:
    head = " ".join([title, *(p.text for p in preamble[:40])])
    for kind, pattern in patterns.KIND_WORDS:
        if pattern.search(title):
            return kind
    for kind, pattern in patterns.KIND_WORDS:
        if pattern.search(head):
            return kind
    return "cls"


def _period(preamble: list[Paragraph], title: str) -> tuple[int | None, int]:
    """The contract's first year and duration, from "2025-2029" in its title or first lines."""
    for text in [title, *(p.text for p in preamble[:80])]:
        match = patterns.PERIOD.search(text)
        if match:
            first, last = int(match.group(1)), int(match.group(2))
            if first < last <= first + 10:
                return first, last - first + 1
    return None, 5
