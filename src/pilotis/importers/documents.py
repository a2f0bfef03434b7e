"""Text of uploaded PDF and DOCX documents, laid out line by line as the text parsers expect."""

from __future__ import annotations

import io
import math
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass

from pilotis.core import pdfium as pdfium_lock
from pilotis.plans.draft import ParseError

# The parsers were written against text converted from PDF: one line of the page per line, blank
# lines where the page leaves vertical space, indentation kept, and a trailing space where the
# producer drew one (the Carcassonne side column relies on it). PDF extraction rebuilds exactly
# that from glyph positions instead of using a library's reading-order text, which merges
# hyphenated lines, collapses runs of spaces and drops blank lines. Only two things are lost: a
# line of spaces alone reads as an empty line, and a run of trailing spaces as one space (PDFium
# reports only the first space of a run; inside a line, the room the others take gives them
# back). Provenance line numbers refer to the lines of this extracted text; a PDF made from a
# text document therefore gives the text's own line numbers. A DOCX gives one line per
# paragraph and per manual line break, table cells taken row by row.

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# A DOCX expands about ten times; past this its text would not fit a plan anyway, and a
# "zip bomb" must not exhaust the server's memory.
_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
_TEXT_FORMATS = "Déposez le contrat en PDF (avec texte), DOCX ou texte (.txt)."


def extract_text(data: bytes, filename: str) -> str | None:
    """The text of a PDF or DOCX document, or None when the bytes are neither (plain text).

    Raises ParseError, with a French message naming the file, for a PDF without a text layer, an
    encrypted or damaged PDF, a damaged DOCX, another ZIP-based format (XLSX, ODT…) or an old
    binary Office document.
    """
    # The PDF header may follow some junk: readers accept it anywhere in the first kilobyte.
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return pdf_text(data, filename)
    if data.startswith(_ZIP_MAGIC):
        return docx_text(data, filename)
    if data.startswith(_OLE2_MAGIC):
        raise ParseError(
            f"Le fichier « {filename} » est un document Office ancien format (.doc, .xls) que "
            "Pilotis ne sait pas lire. Ouvrez-le dans votre traitement de texte et "
            "enregistrez-le au format DOCX ou PDF, puis déposez-le à nouveau."
        )
    return None


# --- PDF -----------------------------------------------------------------------------------

_PDFIUM_LOCK = pdfium_lock.LOCK

# Limits of one PDF's extraction (issue 9: a 7.6 MiB PDF of 50,000 pages ran 31 s and grew past
# 450 MiB). The longest plan seen (a regional scheme) has about 400 pages and 600,000 glyphs; the
# Carcassonne CLS, 150 pages, about 250,000 glyphs in about 2 s.
MAX_PDF_PAGES = 1000
MAX_PDF_GLYPHS = 2_000_000
MAX_PDF_SECONDS = 60.0

# PDFium reports a hyphen that ends a line as U+0002 (and, in its own text, U+FFFE).
_HYPHEN_MARKS = {0x02: "-", 0xFFFE: "-"}
# Typographic ligatures from word processors' PDFs: "ﬁche" must read "fiche".
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB06: "st"}


@dataclass(slots=True)
class _Glyph:
    x: float  # left edge of the advance box, in points
    y: float  # vertical middle of the box, from the top of the page
    width: float  # advance width
    height: float
    text: str


def pdf_text(data: bytes, filename: str) -> str:
    """The text of a PDF, rebuilt line by line from the position of every glyph."""
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise _pdf_open_error(exc, filename) from exc
        try:
            if len(document) > MAX_PDF_PAGES:
                raise ParseError(
                    f"Le fichier « {filename} » a {len(document)} pages : Pilotis lit un PDF "
                    f"de {MAX_PDF_PAGES} pages au plus. Déposez le document du plan seul, sans "
                    "ses annexes, ou découpez-le."
                )
            pages, unmapped, drawn = _read_glyphs(document, filename)
        finally:
            document.close()
    if not drawn:
        count = len(pages)
        where = (
            "Sa page ne porte aucun"
            if count == 1
            else f"Aucune de ses {count} pages ne porte de"
            if count
            else "Il ne porte aucun"
        )
        raise ParseError(
            f"Le fichier « {filename} » ne contient pas de texte : document numérisé ? {where} "
            "texte lisible par un ordinateur (une image de texte n'en est pas), et Pilotis "
            "ne fait pas de reconnaissance de caractères (OCR). Déposez le PDF d'origine, exporté "
            "depuis le traitement de texte, ou faites d'abord passer celui-ci dans un logiciel "
            "d'OCR."
        )
    if unmapped > drawn / 2:
        raise ParseError(
            f"Le texte du fichier « {filename} » n'est pas lisible : ses polices ne disent pas "
            "quelles lettres elles dessinent. Exportez à nouveau le PDF depuis le traitement de "
            "texte, ou déposez le document en DOCX."
        )
    return _layout(pages)


def _pdf_open_error(exc, filename: str) -> ParseError:
    import pypdfium2.raw as raw

    if exc.err_code in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
        return ParseError(
            f"Le fichier « {filename} » est un PDF protégé par un mot de passe : Pilotis ne peut "
            "pas en lire le texte. Enregistrez-en une copie sans protection (ou imprimez-le en "
            "PDF), puis déposez cette copie."
        )
    return ParseError(
        f"Le fichier « {filename} » est un PDF endommagé ou incomplet : il ne peut pas être "
        "ouvert. Vérifiez qu'il s'ouvre sur votre poste, puis déposez-le à nouveau (un "
        "téléchargement interrompu donne souvent un fichier tronqué)."
    )


def _too_long(filename: str, pages: int, reason: str) -> ParseError:
    return ParseError(
        f"Le fichier « {filename} » est trop long à lire : {reason} après {pages} pages. "
        "Déposez le document du plan seul, sans ses annexes, ou découpez-le."
    )


def _read_glyphs(document, filename: str = "") -> tuple[list[list[_Glyph]], int, int]:
    """Every drawn glyph of every page, with the count of glyphs that have no known letter.

    Stops with a ParseError past MAX_PDF_GLYPHS glyphs or MAX_PDF_SECONDS seconds."""
    import ctypes
    import time

    import pypdfium2.raw as raw

    # About 250,000 glyphs for a 150-page contract: raw calls on raw handles, no helpers.
    get_unicode = raw.FPDFText_GetUnicode
    is_generated = raw.FPDFText_IsGenerated
    loose_box = raw.FPDFText_GetLooseCharBox
    map_error = raw.FPDFText_HasUnicodeMapError
    box = raw.FS_RECTF()
    box_ref = ctypes.byref(box)
    pages: list[list[_Glyph]] = []
    unmapped = drawn = 0
    deadline = time.monotonic() + MAX_PDF_SECONDS
    for index in range(len(document)):
        if drawn > MAX_PDF_GLYPHS:
            raise _too_long(
                filename, index, f"plus de {MAX_PDF_GLYPHS:_} caractères".replace("_", "\u202f")
            )
        if time.monotonic() > deadline:
            raise _too_long(filename, index, f"plus de {MAX_PDF_SECONDS:.0f} secondes")
        page = document[index]
        textpage = page.get_textpage()
        try:
            handle = textpage.raw
            height = page.get_height()
            count = raw.FPDFText_CountChars(handle)
            codes = _page_codes(handle, count) or [get_unicode(handle, i) for i in range(count)]
            glyphs: list[_Glyph] = []
            for i, code in enumerate(codes):
                if code in (0x0D, 0x0A):
                    continue  # line breaks come from positions
                if code == 0x20 and is_generated(handle, i):
                    continue  # PDFium's guessed word spaces: gaps give them back
                if code < 0x20 and code not in _HYPHEN_MARKS:
                    continue  # control characters draw nothing readable
                if 0xDC00 <= code < 0xE000:
                    continue  # second half of a character beyond the BMP, read with the first
                if 0xD800 <= code < 0xDC00:
                    # PDFium gives such a character as two UTF-16 halves, at two indexes.
                    low = codes[i + 1] if i + 1 < len(codes) else 0
                    code = (
                        0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        if 0xDC00 <= low < 0xE000
                        else 0xFFFD
                    )
                if not loose_box(handle, i, box_ref):
                    continue
                if code != 0x20:
                    drawn += 1
                    # A sample is enough to tell a readable text from an unreadable one.
                    if drawn % 16 == 1 and map_error(handle, i):
                        unmapped += 16
                text = _HYPHEN_MARKS.get(code) or _LIGATURES.get(code) or chr(code)
                glyphs.append(
                    _Glyph(
                        x=box.left,
                        y=height - (box.top + box.bottom) / 2,
                        width=box.right - box.left,
                        height=box.top - box.bottom,
                        text=text,
                    )
                )
            pages.append(glyphs)
        finally:
            textpage.close()
            page.close()
    return pages, unmapped, drawn


def _page_codes(handle, count: int) -> list[int] | None:
    """The UTF-16 unit of every character index of a text page, in one call; None when the
    text does not line up with the indexes (then each is asked for)."""
    import ctypes

    import pypdfium2.raw as raw

    if not count:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    written = raw.FPDFText_GetText(handle, 0, count, buffer) - 1  # without the final NUL
    return list(buffer[:written]) if written == count else None


def _round(value: float) -> int:
    # Half up, not half to even: 2.5 line pitches of space are 2 blank lines, as 1.5 is 1.
    return math.floor(value + 0.5)


def _layout(pages: list[list[_Glyph]]) -> str:
    """Lines of text from glyphs: same baseline, same line; vertical gaps become blank lines."""
    all_glyphs = [g for glyphs in pages for g in glyphs]
    heights = [g.height for g in all_glyphs if g.height > 0]
    tolerance = 0.3 * statistics.median(heights) if heights else 1.0
    spaces = [g.width for g in all_glyphs if g.text == " " and g.width > 0]
    others = [g.width for g in all_glyphs if g.text != " " and g.width > 0]
    # Indentation and gaps are counted in spaces of the body font.
    space = statistics.median(spaces if len(spaces) >= 20 else others or [1.0]) or 1.0
    left = min((g.x for g in all_glyphs), default=0.0)

    page_lines = [_group_lines(glyphs, tolerance) for glyphs in pages]
    gaps = Counter(
        round(b[0] - a[0], 1)
        for lines in page_lines
        for a, b in zip(lines, lines[1:], strict=False)
        if b[0] - a[0] > tolerance
    )
    pitch = _pitch(gaps, statistics.median(heights) if heights else 10.0)
    # The highest first line of any page is where the text area starts, the lowest last line
    # where it ends: a page whose text starts lower begins with blank lines, one whose text
    # stops higher ends with some.
    top = min((lines[0][0] for lines in page_lines if lines), default=0.0)
    bottom = max((lines[-1][0] for lines in page_lines if lines), default=0.0)

    out: list[str] = []
    used = [number for number, lines in enumerate(page_lines) if lines]
    for number in used:
        lines = page_lines[number]
        out += [""] * max(0, _round((lines[0][0] - top) / pitch))
        previous = None
        for y, glyphs in lines:
            if previous is not None:
                out += [""] * max(0, _round((y - previous) / pitch) - 1)
            previous = y
            out.append(_line_text(glyphs, left, space))
        if number != used[-1]:
            out += [""] * max(0, _round((bottom - lines[-1][0]) / pitch))
    return "\n".join(out) + "\n"


def _pitch(gaps: Counter, height: float) -> float:
    """The line pitch of the body text: the smallest distance between two lines that is common.

    Not simply the most common one: in a double-spaced text, lines two pitches apart (with a
    blank line between) outnumber adjacent ones. Lines closer than the glyphs are tall are
    superscripts or overlapping boxes, not lines of text.
    """
    total = sum(gaps.values())
    common = [
        gap for gap, count in gaps.items() if count >= max(2, 0.05 * total) and gap >= 0.9 * height
    ]
    if common:
        return min(common)
    return gaps.most_common(1)[0][0] if gaps else 1.2 * height


def _group_lines(glyphs: list[_Glyph], tolerance: float) -> list[tuple[float, list[_Glyph]]]:
    """Glyphs grouped by line, top to bottom; each line's glyphs left to right."""
    lines: list[tuple[float, list[_Glyph]]] = []
    for glyph in sorted(glyphs, key=lambda g: g.y):
        if lines and glyph.y - lines[-1][0] <= tolerance:
            lines[-1][1].append(glyph)
        else:
            lines.append((glyph.y, [glyph]))
    for _, members in lines:
        members.sort(key=lambda g: g.x)
    return lines


def _line_text(glyphs: list[_Glyph], left: float, space: float) -> str:
    """A line's glyphs with the spaces their gaps stand for, indented from the left margin."""
    kept = [glyphs[0]]
    for glyph in glyphs[1:]:
        # Bold faked by drawing a glyph twice, slightly shifted: keep one.
        if glyph.text == kept[-1].text and abs(glyph.x - kept[-1].x) < 0.3 * glyph.width:
            continue
        kept.append(glyph)
    gaps = [(b.x - (a.x + a.width)) / space for a, b in zip(kept, kept[1:], strict=False)]
    widths = [g.width for g in kept if g.text != " "]
    if widths and max(widths) - min(widths) <= 0.02 * max(widths):
        # Monospaced: every gap is a whole number of spaces. PDFium reports only the first
        # space of a run, so the room after a space holds the others.
        counts = [
            max(0, math.floor(gap + (0.2 if a.text == " " else 0.5)))
            for a, gap in zip(kept, gaps, strict=False)
        ]
    else:
        # Proportional: justification stretches the word gaps of a line alike; only a gap
        # clearly wider than the line's usual one separates columns.
        usual = statistics.median([g for g in gaps if g >= 0.3] or [1.0])
        counts = []
        for a, gap in zip(kept, gaps, strict=False):
            columns = gap >= 4 or (gap >= 2 and gap > 1.3 * usual)
            if a.text == " ":
                counts.append(_round(gap) if columns else 0)
            else:
                counts.append(_round(gap) if columns else int(gap >= 0.3))
    parts = [" " * max(0, _round((kept[0].x - left) / space)), kept[0].text]
    for glyph, count in zip(kept[1:], counts, strict=True):
        parts.append(" " * count + glyph.text)
    return "".join(parts)


# --- DOCX ----------------------------------------------------------------------------------

_ZIP_FORMATS = [
    ("xl/workbook.xml", "un classeur Excel (XLSX)"),
    ("ppt/presentation.xml", "une présentation PowerPoint (PPTX)"),
]
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "un document OpenDocument (ODT)",
    "application/vnd.oasis.opendocument.spreadsheet": "un classeur OpenDocument (ODS)",
    "application/vnd.oasis.opendocument.presentation": "une présentation OpenDocument (ODP)",
}


def docx_text(data: bytes, filename: str) -> str:
    """The text of a DOCX: paragraphs in order, one per line; table cells row by row."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unzipped = sum(info.file_size for info in archive.infolist())
        mimetype = (
            archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            if "mimetype" in names
            else ""
        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError) as exc:
        raise ParseError(
            f"Le fichier « {filename} » semble être une archive ZIP ou un document Office (DOCX, "
            "XLSX, ODT…), mais il est endommagé ou incomplet : il ne peut pas être ouvert. "
            "Vérifiez qu'il s'ouvre sur votre poste, puis déposez-le à nouveau."
        ) from exc
    if not any(name.startswith("word/") for name in names):
        what = next((label for path, label in _ZIP_FORMATS if path in names), None)
        what = what or _OPENDOCUMENT.get(mimetype) or "une archive ZIP"
        raise ParseError(
            f"Le fichier « {filename} » est {what}, pas un document Word (DOCX) : Pilotis n'y "
            f"trouve pas le texte d'un contrat. {_TEXT_FORMATS}"
        )
    if unzipped > _MAX_UNZIPPED_BYTES:
        raise ParseError(
            f"Le fichier « {filename} » est trop volumineux une fois décompressé "
            f"({unzipped // (1024 * 1024)} Mo) pour être le texte d'un contrat."
        )
    try:
        from docx.opc.package import OpcPackage
        from docx.oxml import parse_xml

        # The package's main part, whatever its name and content type: python-docx's Document()
        # would refuse a macro-enabled DOCM or a DOTX template, whose text reads the same.
        part = OpcPackage.open(io.BytesIO(data)).main_document_part
        root = part.element if hasattr(part, "element") else parse_xml(part.blob)
        lines: list[str] = []
        _DocxReader(lines).block(root.find(_w("body")))
    except Exception as exc:  # python-docx and lxml raise KeyError, ValueError, XMLSyntaxError…
        raise _damaged_docx(filename) from exc
    return "\n".join(line for text in lines for line in text.split("\n")) + "\n"


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


class _DocxReader:
    """Text of WordprocessingML, read from the XML so that nothing the reader sees is skipped:
    content controls (w:sdt), tracked insertions, fields and text boxes hold text too."""

    BLOCK_WRAPPERS = {_w("sdt"), _w("customXml"), _w("sdtContent"), _w("ins")}
    SKIPPED = {_w("pPr"), _w("rPr"), _w("sdtPr"), _w("sdtEndPr"), _w("del"), _w("moveFrom")}

    def __init__(self, lines: list[str]):
        self.lines = lines

    def block(self, element) -> None:
        """Paragraphs and tables in document order, table cells row by row."""
        if element is None:
            return
        for child in element:
            if child.tag == _w("p"):
                self.paragraph(child)
            elif child.tag == _w("tbl"):
                for row in self._children(child, _w("tr")):
                    for cell in self._children(row, _w("tc")):
                        merged = cell.find(f"{_w('tcPr')}/{_w('vMerge')}")
                        # A cell merged down the rows: the first holds the text, the others
                        # are empty continuations.
                        if merged is None or merged.get(_w("val")) == "restart":
                            self.block(cell)
            elif child.tag in self.BLOCK_WRAPPERS:
                self.block(child)

    def _children(self, element, tag: str):
        """Children with this tag, also those wrapped in content controls; not grandchildren
        of a nested table."""
        for child in element:
            if child.tag == tag:
                yield child
            elif child.tag in self.BLOCK_WRAPPERS:
                yield from self._children(child, tag)

    def paragraph(self, paragraph) -> None:
        parts: list[str] = []
        boxes: list = []
        self._inline(paragraph, parts, boxes)
        self.lines.append("".join(parts))
        for box in boxes:
            self.block(box)  # a text box's paragraphs come after the paragraph anchoring it

    def _inline(self, element, parts: list[str], boxes: list) -> None:
        for child in element:
            tag = child.tag
            if tag == _w("t"):
                parts.append(child.text or "")
            elif tag == _w("tab"):
                parts.append("\t")
            elif tag == _w("br"):
                # A page or column break ends no line of text; a line break does.
                if child.get(_w("type")) in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == _w("cr"):
                parts.append("\n")
            elif tag == _w("noBreakHyphen"):
                parts.append("-")
            elif tag == _w("txbxContent"):
                boxes.append(child)
            elif tag not in self.SKIPPED:
                self._inline(child, parts, boxes)


def _damaged_docx(filename: str) -> ParseError:
    return ParseError(
        f"Le fichier « {filename} » est un document Word (DOCX) endommagé ou incomplet : il ne "
        "peut pas être ouvert. Vérifiez qu'il s'ouvre sur votre poste, enregistrez-le à "
        "nouveau au format DOCX, puis déposez-le."
    )
