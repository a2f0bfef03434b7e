"""The general reader's engine: from paragraphs and tables to fiches of labelled rubrics.

Two passes. `collect` walks the blocks and cuts them into sections and fiches, each fiche a list
of rubrics (a label as written and the lines under it), with no knowledge of what a field
means. `fields.build_fiche` then turns every rubric into the fiche's fields. What the engine
recognises comes from two tables a newcomer extends: `labels.SPELLINGS` and `patterns`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pilotis.core.text import fold, squash
from pilotis.importers.common import canonical_label
from pilotis.importers.general import patterns
from pilotis.importers.general.blocks import Block, Cell, Paragraph, Table
from pilotis.importers.general.labels import INDEX, LabelMatch, field_of

# A table of contents' line: "Fiche action 1.2 : Titre ........ 12".
_TOC = re.compile(r"(?:\.{4,}|…{2,}|\t)\s*\d{1,4}\s*$")
# A label alone on its line ends with a colon, or is a short line with no final full stop.
_LABEL_ALONE = re.compile(r"^(?P<label>[^\W\d_][^:.!?]{0,80}?)\s*:?\s*$")


@dataclass
class Entry:
    """A line of a rubric: its text, its line, whether it opens an item of a list; in a steps
    table, the deadline written beside it."""

    text: str
    line: int
    item: bool = False
    deadline: str = ""


@dataclass
class Rubric:
    label: str  # as written ("" for the text before the first label)
    match: LabelMatch | None  # None: a label the tables do not know
    line: int
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # doubts met while reading (nested table…)

    @property
    def last_line(self) -> int:
        return max([self.line, *(e.line for e in self.entries)])


@dataclass
class RawSection:
    key: str
    keyword: str
    number: str
    title: str
    level: int
    parent_key: str | None
    line: int


@dataclass
class RawFiche:
    number: str
    title: str
    line: int
    section_key: str
    rubrics: list[Rubric] = field(default_factory=list)
    last_line: int = 0
    from_table: bool = False
    numbered: bool = True  # the number comes from the document, not from the order

    def add(self, rubric: Rubric) -> Rubric:
        self.rubrics.append(rubric)
        return rubric

    @property
    def labelled(self) -> int:
        return sum(1 for r in self.rubrics if r.match is not None)


@dataclass
class Collected:
    preamble: list[Paragraph] = field(default_factory=list)
    sections: list[RawSection] = field(default_factory=list)
    fiches: list[RawFiche] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # line, text, reason
    headings_seen: int = 0


class Collector:
    """Cuts blocks into sections and fiches of rubrics."""

    def __init__(self, blocks: list[Block], mapping: dict[str, str] | None = None):
        self.blocks = blocks
        self.mapping = mapping or {}
        self.out = Collected()
        self.fiche: RawFiche | None = None
        self.rubric: Rubric | None = None
        self.stack: list[RawSection] = []
        self.level_of: dict[str, int] = {}
        self.heading_pattern = self._choose_heading_pattern()

    # --- what the document uses -----------------------------------------------------------

    def _lines(self):
        for block in self.blocks:
            if isinstance(block, Paragraph):
                yield block
            else:
                for row in block.rows:
                    for cell in row:
                        yield from cell.paragraphs()

    def _choose_heading_pattern(self) -> re.Pattern[str] | None:
        """The first fiche heading pattern the document uses: a "Fiche action 2" document
        whose steps read "Action 1 : …" must not take its steps for fiches."""
        used: set[int] = set()
        for paragraph in self._lines():
            text = squash(paragraph.text)
            if len(text) > 300 or _TOC.search(paragraph.text):
                continue
            for index, pattern in enumerate(patterns.FICHE_HEADINGS):
                if index not in used and pattern.match(text):
                    used.add(index)
            if 0 in used:
                break
        return patterns.FICHE_HEADINGS[min(used)] if used else None

    # --- walking ----------------------------------------------------------------------------

    def collect(self) -> Collected:
        for block in self.blocks:
            if isinstance(block, Table):
                self.table(block)
            else:
                self.paragraph(block)
        self._close()
        return self.out

    def paragraph(self, paragraph: Paragraph) -> None:
        text = squash(paragraph.text)
        if not text:
            return
        if _TOC.search(paragraph.text):
            if self.fiche is not None:
                self.out.skipped.append((paragraph.line, text, "ligne de sommaire"))
            return
        if self._heading(text, paragraph.line):
            return
        if self.fiche is None:
            self.out.preamble.append(paragraph)
            return
        self.fiche.last_line = max(self.fiche.last_line, paragraph.last_line)
        label, value = self._label(paragraph, text)
        if label is not None and not label.known and (paragraph.item or self._awaiting()):
            label = None  # "Réunir le groupe : 2026" in a list, the value of a label above
        if label is not None:
            match = label if label.known else None
            self.rubric = self.fiche.add(Rubric(label.as_written, match, paragraph.line))
            if value:
                self.rubric.entries.append(Entry(value, paragraph.line, item=False))
            return
        self._append(Entry(text, paragraph.line, item=paragraph.item))

    def _heading(self, text: str, line: int) -> bool:
        """Open a fiche or a section when the line is one's heading."""
        if len(text) <= 300 and self.heading_pattern is not None:
            match = self.heading_pattern.match(text)
            if match:
                self._open_fiche(match, line)
                return True
        match = patterns.section_heading(text) if len(text) <= 300 else None
        if match and not (self.fiche is not None and self.rubric is not None and self._in_list()):
            self._open_section(match, line)
            return True
        return False

    def _awaiting(self) -> bool:
        """Whether the current rubric is a label still waiting for its text."""
        return bool(self.rubric and self.rubric.label and not self.rubric.entries)

    def _in_list(self) -> bool:
        return bool(self.rubric and self.rubric.entries and self.rubric.entries[-1].item)

    def _label(self, paragraph: Paragraph, text: str) -> tuple[LabelMatch | None, str]:
        """The label a line opens, and the value that follows it on the line."""
        if paragraph.label:
            label = paragraph.label.rstrip(" :")
            value = squash(text[len(paragraph.label) :] if text.startswith(paragraph.label) else "")
            value = value.lstrip(":").strip()
            return self._match(
                label, unknown_ok=len(label.split()) <= patterns.MAX_LABEL_WORDS
            ), value
        match = patterns.LABEL_LINE.match(text)
        if match and len(match.group("label").split()) <= 6:
            label = match.group("label")
            # After a blank line, or after a rubric given on its label's line, a label may be
            # longer than just after a line of running text.
            inline = bool(
                self.rubric
                and len(self.rubric.entries) == 1
                and self.rubric.entries[0].line == self.rubric.line
            )
            words = 6 if paragraph.opens or inline else 3
            found = self._match(label, unknown_ok=paragraph.heading or _label_like(label, words))
            if found is not None:
                return found, squash(match.group("value"))
        match = _LABEL_ALONE.match(text)
        if match and len(text.split()) <= patterns.MAX_LABEL_WORDS:
            label = match.group("label")
            unknown_ok = paragraph.heading or (text.endswith(":") and _label_like(label, 6))
            exact = self._match(label, unknown_ok=unknown_ok, exact=not paragraph.heading)
            if exact is not None and (text.endswith(":") or exact.known or paragraph.heading):
                return exact, ""
        return None, ""

    def _match(self, label: str, unknown_ok: bool, exact: bool = False) -> LabelMatch | None:
        found = field_of(label, self.mapping)
        if found is not None and exact and found.canonical not in _exact_index(self.mapping):
            found = None
        if found is None and unknown_ok:
            return LabelMatch(label, canonical_label(label), "rubric", False)
        return found

    def _append(self, entry: Entry) -> None:
        assert self.fiche is not None
        if self.rubric is None:
            self.rubric = self.fiche.add(Rubric("", None, entry.line))
        self.rubric.entries.append(entry)

    # --- tables -----------------------------------------------------------------------------

    def table(self, table: Table) -> None:
        labelled = sum(
            1
            for row in table.rows
            if len(_distinct(row)) >= 2 and field_of(_distinct(row)[0].text(), self.mapping)
        )
        headed = any(self._row_heading(row) for row in table.rows[:2])
        if not headed and labelled >= 2 and (self.fiche is None or self.fiche.from_table):
            # One table per fiche, without a heading: a new fiche, numbered in order.
            self._new_fiche("", "", table.line, numbered=False)
        if self.fiche is None and not headed:
            for paragraph in (p for row in table.rows for c in row for p in c.paragraphs()):
                self.paragraph(paragraph)
            return
        columns: list[LabelMatch] | None = None
        for row in table.rows:
            cells = _distinct(row)
            texts = [c.text() for c in cells]
            if not any(texts):
                continue
            first = next(p.line for c in cells for p in c.paragraphs())
            if self._row_heading(row):
                filled = [squash(t) for t in texts if t]
                self._heading(filled[0], first)
                if len(filled) == 2 and self.fiche is not None and not self.fiche.title:
                    self.fiche.title = filled[1]
                if self.fiche is not None:
                    self.fiche.from_table = True
                columns = None
                continue
            if self.fiche is None:
                continue
            self.fiche.from_table = True
            self.fiche.last_line = max(self.fiche.last_line, table.last_line)
            header = [field_of(t, self.mapping) if t else None for t in texts]
            if len(cells) >= 2 and all(header) and len({h.field for h in header}) == len(header):
                columns = header  # type: ignore[assignment]
                continue
            if columns is not None and len(cells) == len(columns) and header[0] is None:
                self._columns(columns, cells, table)
                continue
            columns = None
            self._row(row, cells, table)

    def _row_heading(self, row: list[Cell]) -> bool:
        """A row across the table that is a fiche's or a section's heading, or a fiche's
        heading beside its title ("Fiche action n°3 | Titre")."""
        cells = [c for c in _distinct(row) if c.text()]
        if not cells or len(cells) > 2 or self.heading_pattern is None:
            return False
        text = squash(cells[0].text())
        if len(cells) == 2:
            return bool(self.heading_pattern.match(text))
        return bool(self.heading_pattern.match(text) or patterns.section_heading(text))

    def _row(self, row: list[Cell], cells: list[Cell], table: Table) -> None:
        assert self.fiche is not None
        pairs = [cells[i : i + 2] for i in range(0, len(cells), 2)]
        if (
            len(cells) >= 4
            and len(cells) % 2 == 0
            and all(field_of(squash(label.text()), self.mapping) for label, _ in pairs)
        ):
            # "Pilote | CAF | Co-pilote | CPAM": two rubrics side by side.
            for label, value in pairs:
                found = field_of(squash(label.text()).rstrip(" :"), self.mapping)
                line = label.paragraphs()[0].line
                self.rubric = self.fiche.add(Rubric(found.as_written, found, line))
                self._cell_into(value, self.rubric)
            return
        if len(cells) >= 2 and cells[0].text() and not row[0].merged_above:
            label_text = squash(cells[0].text()).rstrip(" :")
            words = len(label_text.split())
            found = self._match(label_text, unknown_ok=words <= patterns.MAX_LABEL_WORDS)
            if found is not None:
                line = cells[0].paragraphs()[0].line
                self.rubric = self.fiche.add(
                    Rubric(label_text, found if found.known else None, line)
                )
                for cell in cells[1:]:
                    self._cell_into(cell, self.rubric)
                return
        if len(cells) == 1:
            # A row across the table: a label above its value, or the value of the label above.
            text = squash(cells[0].text())
            found = field_of(text.rstrip(" :"), self.mapping) if len(text.split()) <= 9 else None
            if found is not None:
                self.rubric = self.fiche.add(Rubric(text.rstrip(" :"), found, table.line))
                self.rubric.line = cells[0].paragraphs()[0].line
                return
        if self.rubric is None:
            self.rubric = self.fiche.add(Rubric("", None, table.line))
        for cell in cells:
            if cell.text():
                self._cell_into(cell, self.rubric)

    def _columns(self, columns: list[LabelMatch], cells: list[Cell], table: Table) -> None:
        """A row under a header of labels: each cell goes to its column's rubric. A steps table
        ("Étapes | Échéance") gives each step its deadline."""
        assert self.fiche is not None
        by_field = {c.field: i for i, c in enumerate(columns)}
        step_column = by_field.get("actions")
        when_column = by_field.get("calendar")
        for index, (label, cell) in enumerate(zip(columns, cells, strict=True)):
            if index == when_column and step_column is not None:
                continue
            rubric = next(
                (r for r in self.fiche.rubrics if r.label == label.as_written and r.match),
                None,
            ) or self.fiche.add(Rubric(label.as_written, label, table.line))
            before = len(rubric.entries)
            self._cell_into(cell, rubric)
            if index == step_column and when_column is not None and len(rubric.entries) > before:
                rubric.entries[before].item = True
                rubric.entries[before].deadline = squash(cells[when_column].text())
        self.rubric = None

    def _cell_into(self, cell: Cell, rubric: Rubric) -> None:
        if cell.nested:
            rubric.notes.append("tableau imbriqué dans la cellule : lu ligne à ligne")
        # A bold sub-label inside a cell ("De résultat : …") stays in the text.
        for paragraph in cell.paragraphs():
            rubric.entries.append(Entry(squash(paragraph.text), paragraph.line, paragraph.item))

    # --- fiches and sections -------------------------------------------------------------------

    def _open_fiche(self, match: re.Match[str], line: int) -> None:
        groups = match.groupdict()
        number = squash(groups.get("number") or "")
        title = squash(groups.get("title") or "").strip(" :–-")
        self._new_fiche(number, title, line, numbered=bool(number))

    def _new_fiche(self, number: str, title: str, line: int, numbered: bool) -> None:
        self._close()
        section = self.stack[-1].key if self.stack else ""
        self.fiche = RawFiche(number, title, line, section, last_line=line, numbered=numbered)
        self.rubric = None

    def _close(self) -> None:
        if self.fiche is not None:
            self.out.fiches.append(self.fiche)
        self.fiche = None
        self.rubric = None

    def _open_section(self, match: re.Match[str], line: int) -> None:
        self._close()
        keyword = squash(match.group("keyword"))
        folded = fold(keyword)
        if folded not in self.level_of:
            self.level_of[folded] = len(self.level_of)
            self.out.levels.append(keyword[:1].upper() + keyword[1:].lower())
        level = self.level_of[folded]
        while self.stack and self.level_of[fold(self.stack[-1].keyword)] >= level:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        number = squash(match.group("number"))
        own = re.sub(r"[^a-z0-9.]+", "", folded)[:6] + number
        key = (f"{parent.key}/{own}" if parent else own)[:40]
        title = squash(match.group("title") or "").strip(" :–-")
        same = next((s for s in self.out.sections if s.key == key), None)
        if same is not None:
            # The same heading again (announced in the strategy, then above its fiches).
            if title and same.title == f"{same.keyword} {same.number}":
                same.title = title
            self.stack.append(same)
            return
        title = title or f"{keyword} {number}"
        section = RawSection(
            key, keyword, number, title, len(self.stack), parent.key if parent else None, line
        )
        self.out.sections.append(section)
        self.stack.append(section)


def _distinct(row: list[Cell]) -> list[Cell]:
    """A row's cells, a cell repeated by a horizontal merge counted once."""
    out: list[Cell] = []
    for cell in row:
        if out and cell.text() and cell.text() == out[-1].text():
            continue
        out.append(cell)
    return out


def _label_like(label: str, most: int) -> bool:
    """Whether an unknown "X : …" reads as a rubric's label rather than a sentence: a few
    words, starting with a capital."""
    return 1 <= len(label.split()) <= most and label[:1].isupper()


def _exact_index(mapping: dict[str, str]) -> frozenset[str]:
    return frozenset(INDEX) | frozenset(mapping)
