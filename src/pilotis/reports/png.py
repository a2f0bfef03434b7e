"""The report charts as PNG images, for the DOCX: python-docx cannot embed SVG.

The same SVG markup, drawn by Typst (which typesets the PDF reports, reports.render_pdf) on a
page of the chart's size, one page per chart, with the same Marianne faces. The DOCX places each
image beside its data table.
"""

from __future__ import annotations

from collections.abc import Sequence

from pilotis.reports.charts import Chart
from pilotis.reports.render_pdf import fonts_dir
from pilotis.reports.templatetags.reports_typst import t

# Twice the SVG's pixel size: sharp once Word scales the picture to the page width.
SCALE = 2.0
# CSS pixels to points: the SVG's width and height are in pixels, 96 to the inch.
PX = 0.75


def charts_png(charts: Sequence[Chart], scale: float = SCALE) -> list[bytes]:
    """Each chart as PNG bytes, in order: one Typst document for all of them."""
    if not charts:
        return []
    import typst

    source = "\n".join(
        f"#page(width: {chart.width * PX}pt, height: {chart.height * PX}pt, margin: 0pt, "
        f'image(bytes({t(chart.svg)}), format: "svg", alt: {t(chart.title)}, width: 100%))'
        for chart in charts
    )
    images = typst.compile(
        source.encode(),
        format="png",
        ppi=72 * scale,  # `scale` pixels a point
        font_paths=[str(fonts_dir())],
        ignore_system_fonts=True,
    )
    # One page gives the image itself, several a list of them.
    return list(images) if isinstance(images, list) else [images]
