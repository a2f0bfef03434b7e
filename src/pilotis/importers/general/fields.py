"""From a fiche's rubrics to its fields: organisations, lists, actions and deadlines, indicators.

One function a field kind, over the lines of the rubric; each says in a review flag what it is
unsure of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pilotis.core.text import squash
from pilotis.importers.common import (
    LIST_ITEM,
    calendar_years,
    contract_years,
    deadline_years,
    list_items,
    split_outside_parens,
)
from pilotis.importers.general import patterns
from pilotis.importers.general.engine import Entry, RawFiche, Rubric
from pilotis.importers.general.labels import EXTRA_FIELDS, FIELDS
from pilotis.importers.organisations import OrganisationResolver, split_pilots
from pilotis.plans.draft import (
    ActionDraft,
    FicheDraft,
    IndicatorDraft,
    ReviewFlag,
    RoleDraft,
    Span,
    UnplacedLine,
)

# Values that say a rubric is not filled in yet.
_EMPTY = re.compile(r"^(?:-+|–|—|/|néant|nc|n\.c\.|à définir|à préciser|ad|non renseigné)$", re.I)
# "Année 2", "années 1 à 3", "A2": contract years written as such.
_CONTRACT_YEARS = re.compile(r"\bann[ée]es?\s+(\d{1,2})(?:\s*(?:à|-|–|et)\s*(\d{1,2}))?", re.I)
# Words of an indicator that measures a result rather than the work done.
_RESULT_WORDS = re.compile(
    r"\b(?:taux|part|proportion|évolution|diminution|baisse|augmentation|hausse|amélioration|"
    r"satisfaction|pourcentage|prévalence|recours)\b|%",
    re.I,
)
# A programme or plan named in a "Liens avec…" rubric.
_PROGRAMME = re.compile(
    r"\b(?:PRS|PRSE|PTSM|CTG|PAT|PCAET|PNNS|PLH|SRS|CPOM|plan|programme|schéma|projet|contrat|"
    r"stratégie|pacte|convention)\b",
    re.I,
)
_MAX_TEXT = 20_000


@dataclass
class Context:
    """What every fiche's reading shares: the document, the contract's years, organisations."""

    document: str
    start_year: int | None
    duration: int
    resolver: OrganisationResolver
    unplaced: list[UnplacedLine] = field(default_factory=list)
    # canonical label -> {"label", "field", "known", "count", "fiches"} for the review page.
    labels: dict[str, dict] = field(default_factory=dict)


def build_fiche(raw: RawFiche, ctx: Context) -> FicheDraft:
    span = Span(ctx.document, raw.line, max(raw.last_line, raw.line))
    fiche = FicheDraft(number=raw.number, title=raw.title, section_key=raw.section_key, span=span)
    calendar: list[Entry] = []
    steps: list[tuple[Entry, Rubric]] = []
    step_candidates: list[tuple[Entry, Rubric]] = []
    for rubric in raw.rubrics:
        code = rubric.match.field if rubric.match else ("rubric" if rubric.label else "")
        _record_label(rubric, code, raw, ctx)
        for note in rubric.notes:
            _flag(fiche, _flag_field(code), f"« {rubric.label} » : {note}.", rubric, ctx)
        entries = [e for e in rubric.entries if e.text and not _EMPTY.match(e.text)]
        texts = [e.text for e in entries]
        if not entries:
            if rubric.label and rubric.entries:
                continue  # "Budget : à définir"
            if rubric.label:
                _flag(fiche, _flag_field(code), f"rubrique « {rubric.label} » vide.", rubric, ctx)
            continue
        if code == "":
            _untitled_text(fiche, raw, rubric, entries, ctx)
        elif code == "title":
            fiche.title = _join(texts)
        elif code == "number":
            fiche.number = squash(texts[0])[:20]
        elif code in ("pilots", "copilots", "partners"):
            _roles(fiche, code, rubric, entries, ctx)
        elif code == "public":
            fiche.public = _append(fiche.public, _join(texts))
        elif code == "strategic_objective":
            fiche.strategic_objective = _append(fiche.strategic_objective, _join(texts))
        elif code == "operational_objectives":
            fiche.operational_objectives += _items(entries)
        elif code == "context":
            fiche.context = _append(fiche.context, _paragraphs(entries), "\n\n")
        elif code == "actions":
            steps += [(e, rubric) for e in _item_entries(entries)]
        elif code in ("indicators", "result_indicators", "monitoring_indicators"):
            _indicators(fiche, code, rubric, entries, ctx)
        elif code == "links":
            _links(fiche, entries)
        elif code == "ignore":
            ctx.unplaced += [
                UnplacedLine(e.line, e.text, f"rubrique « {rubric.label} » écartée à la relecture")
                for e in entries
            ]
        elif code in EXTRA_FIELDS:
            if code == "calendar":
                calendar += entries
            if code in ("description", "modalities"):
                step_candidates += [(e, rubric) for e in _item_entries(entries) if e.item]
            _extra(fiche, code, entries)
        else:  # an unknown label (or one the coordinator keeps): kept under its own name
            _extra(fiche, rubric.label[:80], entries)
            if rubric.match is not None:
                continue
            _flag(
                fiche,
                "extra",
                f"rubrique « {rubric.label} » inconnue : gardée telle quelle dans les autres "
                "rubriques de la fiche.",
                rubric,
                ctx,
            )
    if not steps and len(step_candidates) >= 2:
        steps = step_candidates
        _flag(
            fiche,
            "actions",
            f"pas de rubrique d’étapes : les {len(steps)} points de la rubrique "
            f"« {steps[0][1].label} » sont lus comme les actions de la fiche.",
            steps[0][1],
            ctx,
        )
    _actions(fiche, steps, calendar, ctx)
    _check(fiche, raw, ctx)
    return fiche


# --- fields --------------------------------------------------------------------------------


def _roles(fiche: FicheDraft, code: str, rubric: Rubric, entries: list[Entry], ctx: Context):
    role = {"pilots": "pilot", "copilots": "copilot", "partners": "partner"}[code]
    names: list[str] = []
    for item in _items(entries):
        if len(item) > 160:
            _flag(
                fiche,
                _flag_field(code),
                f"« {rubric.label} » : un texte long ({len(item)} caractères) au lieu d’une "
                "liste d’organisations : gardé dans les autres rubriques.",
                rubric,
                ctx,
            )
            fiche.extra[rubric.label[:80]] = _append(fiche.extra.get(rubric.label[:80], ""), item)
            continue
        if role == "partner":
            pieces = [p for part in item.split(";") for p in split_outside_parens(part, ",")]
        else:
            pieces = [p for part in item.split(";") for p in split_pilots(part, ctx.resolver)]
        names += [squash(p).strip(" .") for p in pieces if squash(p).strip(" .")]
    for name in dict.fromkeys(names):
        fiche.roles.append(RoleDraft(role, name[:300], ctx.resolver.resolve(name)))
    if role == "copilot" and not any(r.role == "pilot" for r in fiche.roles):
        fiche.pilotage_label = "co-pilotage"


def _indicators(fiche: FicheDraft, code: str, rubric: Rubric, entries: list[Entry], ctx: Context):
    kind = {"result_indicators": "result", "monitoring_indicators": "monitoring"}.get(code)
    guessed = False
    for entry in _item_entries(entries):
        text = _strip_marker(entry.text)
        sub = patterns.INDICATOR_KIND.match(text)
        if sub and (sub.group("monitoring") or sub.group("result")):
            kind = "monitoring" if sub.group("monitoring") else "result"
            text = squash(sub.group("rest"))
            if not text:
                continue
        this = kind
        if this is None:
            this = "result" if _RESULT_WORDS.search(text) else "monitoring"
            guessed = True
        fiche.indicators.append(
            IndicatorDraft(this, [], text, Span(ctx.document, entry.line, entry.line))
        )
    if guessed:
        _flag(
            fiche,
            "indicators",
            f"« {rubric.label} » ne dit pas si ses indicateurs sont de résultat ou de suivi : "
            "type déduit de leur libellé (taux, part, évolution : résultat ; sinon suivi).",
            rubric,
            ctx,
        )


def _links(fiche: FicheDraft, entries: list[Entry]) -> None:
    for item in _items(entries):
        numbers = []
        for match in patterns.FICHE_REFERENCE.finditer(item):
            numbers += re.findall(r"\d{1,3}(?:\.\d{1,3})*", match.group("numbers"))
        rest = squash(patterns.FICHE_REFERENCE.sub(" ", item)).strip(" ,;:-–")
        for number in numbers:
            if number not in fiche.linked_fiches and number != fiche.number:
                fiche.linked_fiches.append(number)
        if rest and (not numbers or _PROGRAMME.search(rest)):
            for piece in (squash(p) for p in rest.split(";")):
                if piece and piece not in fiche.programmes:
                    fiche.programmes.append(piece[:300])


def _actions(
    fiche: FicheDraft,
    steps: list[tuple[Entry, Rubric]],
    calendar: list[Entry],
    ctx: Context,
) -> None:
    calendar_text = "\n".join(e.text for e in calendar)
    whole = _years_of(calendar_text, ctx)
    items = [e for e in calendar if e.item or LIST_ITEM.match(e.text)]
    per_step = len(items) == len(steps) and all(_years_of(e.text, ctx)[0] for e in items)
    letters: set[str] = set()
    for index, (entry, _rubric) in enumerate(steps, 1):
        marker = LIST_ITEM.match(entry.text)
        text = squash(marker.group("text")) if marker else entry.text
        letter = str(index)
        if marker and (marker.group("number") or marker.group("letter") or marker.group("capital")):
            letter = marker.group("number") or marker.group("letter") or marker.group("capital")
        if letter in letters:
            letter = str(index)
        letters.add(letter)
        written = entry.deadline
        if not written:
            written, text = _deadline_in(text)
        years, as_written = _years_of(written, ctx) if written else ([], "")
        if not years and per_step:
            years, as_written = _years_of(items[index - 1].text, ctx)
        elif not years and not written and whole[0]:
            years, as_written = whole
        elif written and not years:
            as_written = written
        fiche.actions.append(
            ActionDraft(
                letter=letter[:10],
                text=text,
                deadline_years=years,
                deadline_as_written=as_written[:200],
                span=Span(ctx.document, entry.line, entry.line),
            )
        )
    if calendar_text and not ctx.start_year and calendar_years(calendar_text):
        _flag(
            fiche,
            "actions",
            "le calendrier est écrit en années civiles, mais le document ne dit pas l’année "
            "de signature du contrat : échéances gardées telles qu’écrites, sans année du contrat.",
            None,
            ctx,
            Span(ctx.document, calendar[0].line, calendar[-1].line),
        )


def _years_of(text: str, ctx: Context) -> tuple[list[int], str]:
    """Contract years of a deadline written as calendar years or as years of the contract."""
    found = _CONTRACT_YEARS.search(text)
    if found:
        first = int(found.group(1))
        last = int(found.group(2) or first)
        years = [y for y in range(first, last + 1) if 1 <= y <= max(ctx.duration, 1)]
        if not years:
            years = deadline_years(found.group(0), None)
        return years, squash(text)
    years = contract_years(calendar_years(text), ctx.start_year, ctx.duration)
    return years, squash(text) if years else ""


def _deadline_in(text: str) -> tuple[str, str]:
    """A deadline written inside a step ("(2026)", "— 2025-2027", "en année 2") and the step
    without it."""
    found = _STEP_DEADLINE.search(text)
    if not found:
        return "", text
    if found.group("a"):
        return squash(found.group("a")), squash(text[: found.start()] + text[found.end() :])
    return squash(found.group("b")), squash(text[: found.start()]) if found.group("sep") else text


_STEP_DEADLINE = re.compile(
    r"\((?P<a>[^()]*\b20[2-4]\d\b[^()]*|ann[ée]es?\s+\d[^()]*)\)"
    r"|(?:(?P<sep>\s[:–—-]\s*)|\b(?:en|dès|d['’]ici|fin)\s+)(?P<b>(?:20[2-4]\d|ann[ée]es?\s+\d)[^.;]*)$",
    re.I,
)


def _extra(fiche: FicheDraft, key: str, entries: list[Entry]) -> None:
    text = "\n".join(_strip_marker(e.text) if e.item else e.text for e in entries)[:_MAX_TEXT]
    fiche.extra[key] = _append(str(fiche.extra.get(key, "")), text, "\n")


def _untitled_text(
    fiche: FicheDraft, raw: RawFiche, rubric: Rubric, entries: list[Entry], ctx: Context
):
    """Text between the fiche's heading and its first label: the title (or the end of a title
    the heading wrapped), then context."""
    rest = list(entries)
    if not fiche.title and rest:
        fiche.title = rest.pop(0).text
    elif rest and rest[0].line == raw.line + 1 and _wrapped(fiche.title, rest[0].text):
        fiche.title = f"{fiche.title} {rest.pop(0).text}"
    if rest:
        fiche.context = _append(fiche.context, _paragraphs(rest), "\n\n")
        _flag(
            fiche,
            "context",
            "texte sans rubrique après l’intitulé : lu comme le contexte de la fiche.",
            rubric,
            ctx,
            Span(ctx.document, rest[0].line, rest[-1].line),
        )


_PARTICLE = re.compile(
    r"(?:[,\-–]|\b(?:de|des|du|la|le|les|et|à|au|aux|en|pour|l['’]|d['’]))$", re.I
)


def _wrapped(title: str, following: str) -> bool:
    """Whether the line after a heading finishes its title (a title the page wrapped)."""
    return (
        title.count("(") > title.count(")")
        or bool(_PARTICLE.search(title))
        or following[:1].islower()
        or following[:1] == "("
    )


def _check(fiche: FicheDraft, raw: RawFiche, ctx: Context) -> None:
    fiche.title = fiche.title[:1000]
    if not fiche.title:
        fiche.title = f"Fiche {fiche.number}" if fiche.number else "Fiche sans intitulé"
        _flag(fiche, "title", "pas d’intitulé lu : à compléter.", None, ctx, fiche.span)
    if not raw.numbered:
        _flag(
            fiche,
            "number",
            f"pas de numéro dans le document : numérotée {fiche.number} dans l’ordre des fiches.",
            None,
            ctx,
            fiche.span,
        )
    if not fiche.pilots:
        _flag(fiche, "pilots", "aucun pilote lu : à compléter.", None, ctx, fiche.span)


# --- helpers -------------------------------------------------------------------------------


def _record_label(rubric: Rubric, code: str, raw: RawFiche, ctx: Context) -> None:
    if not rubric.label:
        return
    from pilotis.importers.common import canonical_label

    key = canonical_label(rubric.label)
    seen = ctx.labels.setdefault(
        key,
        {
            "label": rubric.label,
            "canonical": key,
            "field": code,
            "field_label": FIELDS.get(code, code),
            "known": rubric.match is not None,
            "count": 0,
            "fiches": [],
        },
    )
    seen["count"] += 1
    if raw.number and raw.number not in seen["fiches"]:
        seen["fiches"].append(raw.number)


def _flag_field(code: str) -> str:
    return {
        "copilots": "pilots",
        "result_indicators": "indicators",
        "monitoring_indicators": "indicators",
        "links": "linked_fiches",
        "rubric": "extra",
        "": "extra",
    }.get(code, code if code in _FLAG_FIELDS else "extra")


_FLAG_FIELDS = {
    "title",
    "number",
    "pilots",
    "partners",
    "public",
    "strategic_objective",
    "operational_objectives",
    "context",
    "actions",
    "indicators",
}


def _flag(
    fiche: FicheDraft,
    name: str,
    message: str,
    rubric: Rubric | None,
    ctx: Context,
    span: Span | None = None,
) -> None:
    if span is None and rubric is not None:
        span = Span(ctx.document, rubric.line, rubric.last_line)
    fiche.flags.append(ReviewFlag(name, message, span))


def _join(texts: list[str]) -> str:
    return squash(" ".join(texts))


def _append(before: str, text: str, sep: str = " ") -> str:
    return f"{before}{sep}{text}" if before else text


def _strip_marker(text: str) -> str:
    match = LIST_ITEM.match(text)
    return squash(match.group("text")) if match else text


def _items(entries: list[Entry]) -> list[str]:
    return list_items([e.text for e in entries])


def _item_entries(entries: list[Entry]) -> list[Entry]:
    """Entries grouped into list items (a wrapped item's lines joined), with the first line."""
    out: list[Entry] = []
    opened = False
    for entry in entries:
        marker = LIST_ITEM.match(entry.text)
        if marker or entry.item or not out:
            out.append(Entry(entry.text, entry.line, True, entry.deadline))
            opened = bool(marker or entry.item)
        elif opened and (entry.text[:1].islower() or out[-1].text.endswith((",", "-"))):
            out[-1].text = f"{out[-1].text} {entry.text}"
        else:
            out.append(Entry(entry.text, entry.line, True, entry.deadline))
            opened = False
    return out


def _paragraphs(entries: list[Entry]) -> str:
    """Text of a prose rubric: lines joined, a paragraph break where a line opens an item or a
    sentence after a line that ended one."""
    paragraphs: list[list[str]] = [[]]
    for entry in entries:
        previous = paragraphs[-1][-1] if paragraphs[-1] else ""
        if paragraphs[-1] and (
            entry.item
            or LIST_ITEM.match(entry.text)
            or (previous.endswith((".", ":", "!", "?")) and entry.text[:1].isupper())
        ):
            paragraphs.append([])
        paragraphs[-1].append(entry.text)
    return "\n\n".join(_join(p) for p in paragraphs if p)[:_MAX_TEXT]
