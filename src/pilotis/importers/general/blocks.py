"""A document as the general reader sees it: paragraphs (with bold labels and heading styles when
the document has them) and tables kept as rows of cells.

Plain text and PDF give one paragraph a line. A DOCX is read from its XML: a table stays a
table, a paragraph whose first words are bold carries them as its label. Line numbers follow the
text `documents.extract_text` gives for the same file, so provenance and the import report name
the same lines whichever reader read the document.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pilotis.importers.documents import _DocxReader, _w

_HEADING_STYLE = re.compile(r"^(?:heading|titre|title|berschrift)\s*\d*$", re.IGNORECASE)
# List styles carry their numbering themselves: "List Bullet", "Liste à puces", "ListParagraph".
_LIST_STYLE = re.compile(r"^(?:list|liste|paragraphedeliste)", re.IGNORECASE)


@dataclass
class Paragraph:
    text: str
    line: int  # 1-based line of the extracted text
    label: str = ""  # the paragraph's leading bold words, when it has some and more text
    heading: bool = False  # a heading style, or a short paragraph all in bold
    item: bool = False  # an item of a Word numbered or bulleted list
    last_line: int = 0
    opens: bool = True  # starts a paragraph (in text: follows a blank line)

    def __post_init__(self) -> None:
        self.last_line = self.last_line or self.line


@dataclass
class Cell:
    blocks: list[Paragraph | Table] = field(default_factory=list)
    merged_above: bool = False  # continues the cell above (a vertical merge)

    def paragraphs(self) -> list[Paragraph]:
        """The cell's paragraphs, a nested table's rows read as lines "a | b"."""
        out: list[Paragraph] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                if block.text.strip():
                    out.append(block)
            else:
                for row in block.rows:
                    texts = [c.text() for c in row if c.text()]
                    if texts:
                        line = next((p.line for c in row for p in c.paragraphs()), block.line)
                        out.append(Paragraph(" | ".join(texts), line))
        return out

    def text(self) -> str:
        return "\n".join(p.text.strip() for p in self.paragraphs())

    @property
    def nested(self) -> bool:
        return any(isinstance(b, Table) for b in self.blocks)


@dataclass
class Table:
    rows: list[list[Cell]]
    line: int
    last_line: int = 0

    @property
    def nested(self) -> bool:
        return any(cell.nested for row in self.rows for cell in row)

    @property
    def merged(self) -> bool:
        return any(cell.merged_above for row in self.rows for cell in row)


Block = Paragraph | Table


def text_blocks(text: str) -> list[Block]:
    """Plain text (and the text of a PDF): one paragraph a line, blank lines left out."""
    lines = text.split("\n")
    return [
        Paragraph(line, number, opens=number == 1 or not lines[number - 2].strip())
        for number, line in enumerate(lines, 1)
        if line.strip()
    ]


def docx_blocks(data: bytes) -> list[Block]:
    """Paragraphs and tables of a DOCX's body, in order. Raises what python-docx raises."""
    from docx.opc.package import OpcPackage
    from docx.oxml import parse_xml

    part = OpcPackage.open(io.BytesIO(data)).main_document_part
    root = part.element if hasattr(part, "element") else parse_xml(part.blob)
    reader = _BlockReader()
    reader.block(root.find(_w("body")))
    return reader.out


class _BlockReader(_DocxReader):
    """The text reader's walk, keeping tables as tables and bold labels; it counts lines as
    the text reader writes them."""

    def __init__(self):
        super().__init__([])
        self.out: list[Block] = []
        self.next_line = 1

    def block(self, element) -> None:
        if element is None:
            return
        for child in element:
            if child.tag == _w("p"):
                self.paragraph(child)
            elif child.tag == _w("tbl"):
                self.table(child)
            elif child.tag in self.BLOCK_WRAPPERS:
                self.block(child)

    def table(self, element) -> None:
        table = Table(rows=[], line=self.next_line)
        sink = self.out
        for row in self._children(element, _w("tr")):
            cells: list[Cell] = []
            for tc in self._children(row, _w("tc")):
                merged = tc.find(f"{_w('tcPr')}/{_w('vMerge')}")
                cell = Cell()
                if merged is not None and merged.get(_w("val")) != "restart":
                    cell.merged_above = True
                else:
                    self.out = cell.blocks
                    self.block(tc)
                cells.append(cell)
            table.rows.append(cells)
        self.out = sink
        table.last_line = max(table.line, self.next_line - 1)
        self.out.append(table)

    def paragraph(self, paragraph) -> None:
        parts: list[str] = []
        boxes: list = []
        self._inline(paragraph, parts, boxes)
        text = "".join(parts)
        count = text.count("\n") + 1
        self.lines.append(text)
        first = self.next_line
        self.next_line += count
        properties = paragraph.find(_w("pPr"))
        style = properties.find(f"{_w('pStyle')}") if properties is not None else None
        style_name = style.get(_w("val"), "") if style is not None else ""
        heading = bool(_HEADING_STYLE.match(style_name))
        item = bool(_LIST_STYLE.match(style_name)) or (
            properties is not None and properties.find(_w("numPr")) is not None
        )
        bold, rest = _bold_head(paragraph)
        label = ""
        if bold and rest.strip(" \t:"):
            label = bold
        elif bold and not rest.strip(" \t") and len(bold.split()) <= 12:
            heading = True
        for number, line in enumerate(text.split("\n")):
            self.out.append(
                Paragraph(
                    line,
                    first + number,
                    label=label if number == 0 else "",
                    heading=heading and count == 1,
                    item=item and number == 0,
                )
            )
        for box in boxes:
            self.block(box)


def _bold_head(paragraph) -> tuple[str, str]:
    """The paragraph's leading bold text and the text after it."""
    head: list[str] = []
    rest: list[str] = []
    for run in paragraph.iter(_w("r")):
        text = "".join(
            t.text or "" if t.tag == _w("t") else "\t" for t in run if t.tag in (_w("t"), _w("tab"))
        )
        if not text:
            continue
        if not rest and _is_bold(run):
            head.append(text)
        elif not rest and not head and not text.strip():
            continue
        else:
            rest.append(text)
    return "".join(head).strip(), "".join(rest)


def _is_bold(run) -> bool:
    properties = run.find(_w("rPr"))
    if properties is None:
        return False
    bold = properties.find(_w("b"))
    return bold is not None and bold.get(_w("val"), "true") not in ("0", "false", "off")
