"""Pure shaping of loaded plan data for the pages: section tree, year grid, flags, excerpts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pilotis.core.text import fold
from pilotis.plans.draft import EXTRA_LABELS, EXTRA_LINE_ITEMS, FIELD_LABELS


@dataclass
class SectionNode:
    """One section of the overview, with its fiches, at its place in a depth-first walk."""

    section: Any  # a Section, or None for the bucket of fiches attached to no section
    depth: int
    label: str
    fiches: list = field(default_factory=list)
    children: list[SectionNode] = field(default_factory=list)

    @property
    def heading_level(self) -> int:
        # h1 is the plan title and h2 the "structure" heading; HTML has no heading past h6.
        return min(self.depth + 3, 6)


def section_label(level_name: str, number: str) -> str:
    """'Ambition' + '1' -> 'Ambition 1'; a number that already names its level is kept as is."""
    number = number.strip()
    if not number:
        return level_name
    if fold(number).startswith(fold(level_name)):
        return number
    return f"{level_name} {number}"


def section_tree(sections: Sequence, fiches: Iterable, level_name) -> list[SectionNode]:
    """Flatten sections and fiches into a depth-first list of nodes.

    `sections` come in document order (one query, ordered by position); `level_name(depth)` names a
    level. Fiches may hang on a section at any depth; a fiche whose section is missing lands in a
    trailing bucket so that nothing loaded is left out of the page.
    """
    nodes = {
        s.pk: SectionNode(s, 0, section_label(level_name(s.depth), s.number)) for s in sections
    }
    roots: list[SectionNode] = []
    for s in sections:
        parent = nodes.get(s.parent_id)
        (parent.children if parent else roots).append(nodes[s.pk])
    orphans = SectionNode(None, 0, "Fiches hors section")
    for fiche in fiches:
        nodes.get(fiche.section_id, orphans).fiches.append(fiche)

    flat: list[SectionNode] = []

    def walk(node: SectionNode, depth: int) -> None:
        node.depth = depth
        flat.append(node)
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    if orphans.fiches:
        flat.append(orphans)
    return flat


def ancestors(section_id: int | None, sections: Sequence) -> list:
    """Sections from the root down to `section_id` included."""
    by_id = {s.pk: s for s in sections}
    chain = []
    current = by_id.get(section_id)
    while current is not None and current not in chain:  # `not in` guards against a cycle
        chain.append(current)
        current = by_id.get(current.parent_id)
    return chain[::-1]


@dataclass
class YearColumn:
    year: int  # contract year, 1 = start year
    calendar_year: int | None

    @property
    def label(self) -> str:
        if self.calendar_year:
            return f"Année {self.year} ({self.calendar_year})"
        return f"Année {self.year}"


def year_columns(
    contract_years: Sequence[tuple[int, int | None]], start_year: int | None, actions: Iterable
) -> list[YearColumn]:
    """Columns of the deadline grid: the contract years, plus any later year an action names."""
    columns = [YearColumn(y, cal) for y, cal in contract_years]
    last = columns[-1].year if columns else 0
    beyond = max((y for a in actions for y in a.deadline_years if isinstance(y, int)), default=0)
    for y in range(last + 1, beyond + 1):
        columns.append(YearColumn(y, start_year + y - 1 if start_year else None))
    return columns


def year_cells(deadline_years: Iterable[int], columns: Sequence[YearColumn]) -> list[tuple]:
    """(column, planned) for each column of the grid."""
    planned = set(deadline_years)
    return [(col, col.year in planned) for col in columns]


def letters_label(letters: Sequence[str]) -> str:
    """['A'] -> 'Action A'; ['A', 'C', 'D'] -> 'Actions A, C et D'; [] -> ''."""
    letters = [str(x) for x in letters if str(x).strip()]
    if not letters:
        return ""
    if len(letters) == 1:
        return f"Action {letters[0]}"
    return f"Actions {', '.join(letters[:-1])} et {letters[-1]}"


def lines_label(first: int | None, last: int | None) -> str:
    if first and last and last != first:
        return f"lignes {first} à {last}"
    if first:
        return f"ligne {first}"
    return ""


def flag_items(flags: Any) -> list[dict]:
    """Review flags as stored (dicts from the importer, or plain strings) -> displayable items."""
    items = []
    for flag in flags or []:
        if isinstance(flag, dict):
            span = flag.get("span") if isinstance(flag.get("span"), dict) else flag
            items.append(
                {
                    "field": FIELD_LABELS.get(
                        str(flag.get("field", "")), str(flag.get("field", ""))
                    ),
                    "message": str(flag.get("message", "")),
                    "lines": lines_label(span.get("first_line"), span.get("last_line")),
                }
            )
        else:
            items.append({"field": "", "message": str(flag), "lines": ""})
    return items


def paragraphs(text: str) -> list[str]:
    """A stored text block -> its paragraphs (the importer separates them by line breaks)."""
    return [p.strip() for p in re.split(r"\n+", text or "") if p.strip()]


# --- Texts kept as written: paragraphs, lists, the extra rubrics of a fiche ---------------------

BULLET = re.compile(r"^(\s*)(?:[-–•→*]|\d+[.)])\s+(?=\S)")
INLINE_BULLET = re.compile(r"\s+•\s+")


@dataclass
class Item:
    """An item of a list, with the items nested under it."""

    text: str
    children: list[Item] = field(default_factory=list)


@dataclass
class Block:
    """A paragraph (`text`) or a list (`items`) of a text kept as written."""

    text: str = ""
    items: list[Item] = field(default_factory=list)


def text_blocks(text: str, items: bool = False) -> list[Block]:
    """A stored text -> paragraphs and lists, as the importers lay texts out.

    Blank lines separate paragraphs and each line break is kept; lines starting with a bullet
    ("- ", "• ", "→ ") make a list, nested by their indentation; a line holding " • " items
    ("Objectif : • a • b") is a paragraph and its list. With `items`, the text is one item a line
    (parsers store short fields so); a single item stays a paragraph.
    """
    blocks: list[Block] = []
    # (indent, item) of the open list's items, deepest last, to hang nested items; empty when
    # the last block is no list to go on with.
    stack: list[tuple[int, Item]] = []

    def add_item(indent: int, content: str) -> None:
        if not stack:
            blocks.append(Block(items=[]))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        item = Item(content)
        (stack[-1][1].children if stack else blocks[-1].items).append(item)
        stack.append((indent, item))

    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if not line.strip():
            stack.clear()
            continue
        bullet = BULLET.match(line)
        if bullet:
            add_item(len(bullet.group(1)), line[bullet.end() :].strip())
        elif INLINE_BULLET.search(line):
            head, *rest = INLINE_BULLET.split(line.strip())
            head = head.lstrip("• ").strip()
            stack.clear()
            if head:
                blocks.append(Block(text=head))
            for piece in rest:
                add_item(0, piece.strip())
            stack.clear()
        elif items:
            add_item(0, line.strip())
        else:
            stack.clear()
            blocks.append(Block(text=line.strip()))
    # Bullets separated by blank lines (as PDF conversions space them) are still one list.
    merged: list[Block] = []
    for block in blocks:
        if block.items and merged and merged[-1].items:
            merged[-1].items.extend(block.items)
        else:
            merged.append(block)
    blocks = merged
    # One lone item read as "one item a line" is better shown as the sentence it is.
    return [
        Block(text=b.items[0].text)
        if items and len(b.items) == 1 and not b.items[0].children
        else b
        for b in blocks
    ]


@dataclass
class Rubric:
    """A rubric of a fiche's `extra`: its stable code, its French label, its text laid out."""

    code: str
    label: str
    blocks: list[Block]
    text: str


# Rubrics that situate the fiche, shown under its title; rubrics that say what it is about,
# shown before its actions. The others come after the actions, in EXTRA_LABELS order.
FACT_EXTRAS = ("regional_number", "mission", "axis", "label")
LEAD_EXTRAS = frozenset(
    {"description", "challenge", "findings", "expected_results", "in_practice", "key_figures"}
)
# Keys shaped by `action_schedule`, not listed as rubrics under an action.
SCHEDULE_EXTRAS = frozenset({"calendar", "start_month", "start_month_latest", "end_month"})


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def extra_rubrics(extra: Any) -> list[Rubric]:
    """Every non-empty entry of an `extra` dict, labelled in French, in EXTRA_LABELS order.

    Keys without a label come last, in their stored order, under their own code.
    """
    if not isinstance(extra, dict):
        return []
    order = {code: i for i, code in enumerate(EXTRA_LABELS)}
    keys = sorted(extra, key=lambda k: (order.get(k, len(order)), list(extra).index(k)))
    rubrics = []
    for key in keys:
        text = _as_text(extra[key]).strip()
        if text:
            items = key in EXTRA_LINE_ITEMS or isinstance(extra[key], list | tuple)
            rubrics.append(Rubric(key, EXTRA_LABELS.get(key, key), text_blocks(text, items), text))
    return rubrics


def fiche_rubrics(extra: Any) -> dict[str, list[Rubric]]:
    """The rubrics of a fiche split by where the page shows them: "facts", "lead", "more"."""
    groups: dict[str, list[Rubric]] = {"facts": [], "lead": [], "more": []}
    for rubric in extra_rubrics(extra):
        if rubric.code in FACT_EXTRAS:
            groups["facts"].append(rubric)
        elif rubric.code in LEAD_EXTRAS:
            groups["lead"].append(rubric)
        else:
            groups["more"].append(rubric)
    return groups


def ordinal(value: Any) -> str:
    """1 -> '1er', 6 -> '6e' (French ordinal of a month number); text that is no number as is."""
    text = str(value).strip()
    if not text.isdigit():
        return text
    return f"{int(text)}er" if int(text) == 1 else f"{int(text)}e"


def month_span(extra: dict) -> str:
    """When a CPTS action runs, in months after the signature of the ACI contract.

    {"start_month": "1", "end_month": "18"} -> "à partir du 1er mois après la signature de l’ACI,
    jusqu’au 18e mois au plus tard"; a start range "6" to "12" -> "entre le 6e et le 12e mois…".
    The CPTS parser counts from the ACI, the one reference its documents use.
    """
    start = str(extra.get("start_month") or "").strip()
    latest = str(extra.get("start_month_latest") or "").strip()
    end = str(extra.get("end_month") or "").strip()
    after = "après la signature de l’ACI"
    if start and latest and latest != start:
        text = f"entre le {ordinal(start)} et le {ordinal(latest)} mois {after}"
    elif start:
        text = f"à partir du {ordinal(start)} mois {after}"
    elif end:
        return f"jusqu’au {ordinal(end)} mois {after} au plus tard"
    else:
        return ""
    return f"{text}, jusqu’au {ordinal(end)} mois au plus tard" if end else text


@dataclass
class ActionSchedule:
    """What an action's `extra` adds under it on the fiche page."""

    months: str = ""
    calendar: str = ""  # as written, when it says more than the fiche's own calendar
    details: list[Block] = field(default_factory=list)
    others: list[Rubric] = field(default_factory=list)


def action_schedule(extra: Any, fiche_calendar: str = "") -> ActionSchedule:
    """Months, calendar as written, details and any other entry of an action's `extra`.

    The calendar as written is left out when it repeats the fiche's calendar word for word: the
    fiche shows it once above, and the months say the same under each action.
    """
    if not isinstance(extra, dict):
        return ActionSchedule()
    calendar = _as_text(extra.get("calendar")).strip()
    if calendar and calendar == (fiche_calendar or "").strip():
        calendar = ""
    return ActionSchedule(
        months=month_span(extra),
        calendar=calendar,
        details=text_blocks(_as_text(extra.get("details")), items=True),
        others=[
            r for r in extra_rubrics(extra) if r.code not in SCHEDULE_EXTRAS and r.code != "details"
        ],
    )


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        base = base.replace("œ", "oe").replace("Œ", "oe").lower()
        out.append(base)
        index.extend([i] * len(base))
    return "".join(out), index


def excerpt(texts: Iterable[str], query: str, width: int = 200) -> SafeString:
    """A short window of the first text matching the query, matched words wrapped in <mark>.

    Matching is accent- and case-insensitive like `FicheQuerySet.search`, but the excerpt shows
    the original, accented text. Falls back to the start of the first non-empty text.
    """
    words = [w for w in fold(query).split() if w]
    texts = [t for t in texts if t and t.strip()]
    for text in texts:
        folded, index = _folded_with_map(text)
        hits = [folded.find(w) for w in words]
        hits = [h for h in hits if h >= 0]
        if hits:
            centre = index[min(hits)]
            start = max(0, centre - width // 3)
            end = min(len(text), start + width)
            return _highlight(text, start, end, words)
    if texts:
        return _highlight(texts[0], 0, min(len(texts[0]), width), [])
    return mark_safe("")


def _highlight(text: str, start: int, end: int, words: list[str]) -> SafeString:
    # Snap the window to word boundaries so the excerpt does not begin or end mid-word.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    window = text[start:end]
    folded, index = _folded_with_map(window)
    marked = [False] * len(window)
    for word in words:
        pos = folded.find(word)
        while pos >= 0:
            for k in range(pos, pos + len(word)):
                marked[index[k]] = True
            pos = folded.find(word, pos + len(word))
    parts: list[str] = []
    i = 0
    while i < len(window):
        j = i
        while j < len(window) and marked[j] == marked[i]:
            j += 1
        chunk = escape(window[i:j])
        parts.append(f"<mark>{chunk}</mark>" if marked[i] else chunk)
        i = j
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts).strip() + suffix)  # noqa: S308 - escaped above
