"""PDF reports: WeasyPrint on the print templates, which reuse the page's partials and charts."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from pilotis.reports.model import AnnualReport, FinalReport

STATIC = Path(__file__).resolve().parent / "static" / "reports"
# The DSFR's Marianne, shipped with django-dsfr: the PDF looks like the pages. WOFF 1 rather than
# WOFF 2, which would need the brotli package to be read.
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


def render(template: str, context: dict) -> bytes:
    """A print template as PDF, tagged (headings, tables, figures) for screen readers."""
    # Imported here: loading WeasyPrint takes a second, which pages without a PDF need not pay.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # per document: WeasyPrint's font state is not shared safely
    stylesheets = [
        CSS(string=font_faces(), font_config=fonts),
        CSS(filename=str(STATIC / "print.css"), font_config=fonts),
    ]
    html = render_to_string(template, context)
    # full_fonts: Marianne's three faces go in whole (about 140 kB more) rather than subset.
    # Without HarfBuzz-Subset on the system, WeasyPrint subsets with fontTools, which decodes
    # each face's layout tables: about 1 s of CPU for the 55-fiche Carcassonne report, close to
    # a tenth of its rendering. The text and the layout are the same.
    return HTML(string=html, base_url=str(STATIC)).write_pdf(
        stylesheets=stylesheets, font_config=fonts, pdf_tags=True, full_fonts=True
    )


def annual_pdf(report: AnnualReport) -> bytes:
    return render("reports/print/annual.html", {"report": report})


def final_pdf(report: FinalReport) -> bytes:
    return render("reports/print/final.html", {"report": report})
