"""PDF reports: Typst on the print templates (reports/typst/), from the same report model.

Typst lays out the 86 pages of the 55 Carcassonne fiches in about a second of CPU where WeasyPrint
took 11 to 15 (README, « Mesures »). The PDF is tagged for screen readers (headings, tables with
their header rows, the charts' alternative texts, French as the document language) and checked
against PDF/UA-1 by Typst itself: a document that breaks its rules is not produced.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context
from django.template.loader import get_template

from pilotis.reports.model import AnnualReport, FinalReport

# The DSFR's Marianne, shipped with django-dsfr: the PDF looks like the pages. Typst reads TrueType
# and OpenType, django-dsfr ships WOFF: each face is unpacked once into PILOTIS_VAR_DIR.
MARIANNE = ("Regular", "Bold", "Regular_Italic", "Bold_Italic")
_fonts_lock = threading.Lock()


def fonts_dir() -> Path:
    """A folder holding Marianne as TrueType, unpacked from django-dsfr's WOFF files once."""
    directory = Path(settings.VAR_DIR) / "cache" / "fonts"
    with _fonts_lock:
        for name in MARIANNE:
            target = directory / f"Marianne-{name}.ttf"
            source = finders.find(f"dsfr/dist/fonts/Marianne-{name}.woff")
            if target.exists() or not source:
                continue
            from fontTools.ttLib import TTFont

            directory.mkdir(parents=True, exist_ok=True)
            font = TTFont(source)
            font.flavor = None
            buffer = io.BytesIO()
            font.save(buffer)
            # Written whole then renamed: a process killed half-way leaves no broken face.
            partial = target.with_suffix(".part")
            partial.write_bytes(buffer.getvalue())
            partial.replace(target)
    return directory


def typst_source(template: str, context: dict) -> str:
    """The Typst text of a print template; no HTML escaping: values go in through its filter."""
    return get_template(template).template.render(Context(context, autoescape=False))


def render(template: str, context: dict) -> bytes:
    """A Typst print template as a tagged PDF (PDF/UA-1)."""
    import typst

    source = typst_source(template, context)
    return typst.compile(
        source.encode(),
        font_paths=[str(fonts_dir())],
        # The system's fonts are neither read nor used: the same PDF on every machine, and
        # no time spent indexing them.
        ignore_system_fonts=True,
        pdf_standards=["ua-1"],
    )


def annual_pdf(report: AnnualReport) -> bytes:
    return render("reports/typst/annual.typ", {"report": report})


def final_pdf(report: FinalReport) -> bytes:
    return render("reports/typst/final.typ", {"report": report})
