"""Test fixtures: a text document rendered as a PDF with a text layer (WeasyPrint) or a DOCX."""

from __future__ import annotations

import html
import io

# DejaVu Sans Mono: an em is 0.602 of its advance, and Debian and the CI machine ship the font.
_ADVANCE = 0.602
_FONT_SIZE = 9  # points
_LINE_HEIGHT = 1.2
_MARGIN = 20  # points
# A single <pre> would make WeasyPrint re-measure the rest of the text for every line
# (quadratic); blocks of this many lines render the 11,000-line contract in seconds.
_BLOCK_LINES = 100


def render_pdf(text: str) -> bytes:
    """The text as a PDF: one line per line, monospace, on pages wide enough never to wrap."""
    import weasyprint

    # WeasyPrint draws a tab as a sliver of space; a real PDF has no tabs anyway, only room
    # between columns: a table cell ends with a visible gap of several spaces.
    lines = text.replace("\t", "    ").split("\n")
    width = max(len(line) for line in lines) * _ADVANCE * _FONT_SIZE
    blocks = []
    start = 0
    for index, line in enumerate(lines):
        # A block ends on a line with text: a newline that ends a <pre> draws no empty line.
        if index + 1 - start >= _BLOCK_LINES and line.strip() or index == len(lines) - 1:
            blocks.append(lines[start : index + 1])
            start = index + 1
    # The parser drops the newline right after <pre>: the leading "\n" protects a blank line.
    body = "".join(f"<pre>\n{html.escape(chr(10).join(block))}</pre>" for block in blocks)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: {width + 2 * _MARGIN + 10:.0f}pt 842pt; margin: {_MARGIN}pt; }}
body {{ margin: 0; }}
pre {{ margin: 0; font-family: "DejaVu Sans Mono"; font-size: {_FONT_SIZE}pt;
      line-height: {_LINE_HEIGHT}; white-space: pre; orphans: 1; widows: 1; }}
</style></head><body>{body}</body></html>"""
    return weasyprint.HTML(string=page).write_pdf()


def render_docx(text: str) -> bytes:
    """The text as a DOCX, one paragraph per line."""
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_html_pdf(body: str, css: str = "") -> bytes:
    """A small PDF from an HTML fragment, for layout cases."""
    import weasyprint

    page = f'<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head>'
    return weasyprint.HTML(string=f"{page}<body>{body}</body></html>").write_pdf()


def render_scanned_pdf(pages: int = 2) -> bytes:
    """A PDF of page images only, as a scanner makes: text drawn in pixels, no text layer."""
    import base64

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).text((20, 80), "Fiche n°1  Pilotage : CAF", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    images = "".join(
        f'<img src="{source}" style="display: block; width: 100%; break-after: page">'
        for _ in range(pages)
    )
    return render_html_pdf(images, "@page { size: A4; margin: 1cm }")


def minimal_pdf(*, encrypted: bool = False) -> bytes:
    """A one-page PDF written by hand; `encrypted` adds a standard security handler whose user
    password is not empty (arbitrary O and U keys), as a password-protected file has."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    if encrypted:
        keys = b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b">"
        objects.append(b"<< /Filter /Standard /V 1 /R 2 " + keys + b" /P -4 >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if encrypted:
        trailer += b" /Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">]"
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def zip_of(files: dict[str, bytes | str]) -> bytes:
    """A ZIP archive holding these files: the skeleton of an XLSX, an ODT…"""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
