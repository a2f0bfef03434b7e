"""The report charts as PNG images, for the DOCX: python-docx cannot embed SVG.

No new dependency and no system tool: the same SVG markup is laid out by WeasyPrint (one page per
chart, sized to it) and the pages are rasterised by PDFium (pypdfium2), which the document imports
need too (the PDF reports themselves are typeset by Typst, reports.render_pdf). The DOCX places
each image beside its data table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from django.contrib.staticfiles import finders

from pilotis.reports.charts import Chart

# Twice the SVG's pixel size: sharp once Word scales the picture to the page width.
SCALE = 2.0
# The DSFR's Marianne, shipped with django-dsfr, as in the PDF. WOFF 1 rather than WOFF 2, which
# would need the brotli package to be read.
MARIANNE = (("Regular", 400, "normal"), ("Bold", 700, "normal"), ("Regular_Italic", 400, "italic"))


def font_faces() -> str:
    faces = []
    for name, weight, style in MARIANNE:
        path = finders.find(f"dsfr/dist/fonts/Marianne-{name}.woff")
        if path:
            faces.append(
                f'@font-face {{ font-family: Marianne; src: url("{Path(path).as_uri()}"); '
                f"font-weight: {weight}; font-style: {style}; }}"
            )
    return "\n".join(faces)


def charts_png(charts: Sequence[Chart], scale: float = SCALE) -> list[bytes]:
    """Each chart as PNG bytes, in order: one WeasyPrint document for all of them."""
    if not charts:
        return []
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    # PDFium is not thread-safe: every call into it goes through the shared lock.
    from pilotis.core.pdfium import LOCK as _PDFIUM_LOCK

    rules = ["body { margin: 0 } svg { display: block }"]
    pages = []
    for index, chart in enumerate(charts):
        rules.append(
            f"@page chart{index} {{ size: {chart.width}px {chart.height}px; margin: 0 }} "
            f".chart{index} {{ page: chart{index}; break-after: page }}"
        )
        pages.append(f'<div class="chart{index}">{chart.svg}</div>')
    fonts = FontConfiguration()
    # full_fonts: the PDF only lives until PDFium has drawn it, so the fonts go in whole rather
    # than subset, which fontTools takes about half a second a face to do.
    pdf = HTML(string=f"<!DOCTYPE html><html><body>{''.join(pages)}</body></html>").write_pdf(
        stylesheets=[
            CSS(string=font_faces(), font_config=fonts),
            CSS(string="\n".join(rules), font_config=fonts),
        ],
        font_config=fonts,
        full_fonts=True,
    )
    import pypdfium2 as pdfium

    images = []
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            for index in range(len(charts)):
                page = document[index]
                bitmap = page.render(scale=scale)
                buffer = io.BytesIO()
                # compress_level 1 rather than optimize: 4 times quicker, and on these flat charts
                # the file is even a little smaller (188 kB rather than 214 for the 26 objectives).
                bitmap.to_pil().save(buffer, format="PNG", compress_level=1)
                images.append(buffer.getvalue())
                page.close()
        finally:
            document.close()
    return images
