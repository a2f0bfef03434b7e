"""SVG charts drawn by the server, pure functions: the same markup in the page and in the PDF.

Each chart comes with its data table (the alternative every chart must have, shown next to it)
and a <title>/<desc> that screen readers announce. The markup uses presentation attributes only,
never `style`, so that the pages' Content-Security-Policy (no inline styles) lets it through, and
Typst draws it (PDF, and PNG for the DOCX) as the browser does. Rates are percentages from 0 to 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from html import escape

from pilotis.followup.rollups import format_percent

Number = int | Fraction | Decimal | float

FONT = "Marianne, Arial, Helvetica, sans-serif"
TEXT = "#161616"
MUTED = "#666666"
GRID = "#dddddd"
# DSFR blue for a single series; the others also differ by dash and marker, never by colour only.
PALETTE = ("#000091", "#b34000", "#18753c", "#6a6af4", "#a94645", "#716043", "#447049", "#8d533e")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 4", "12 4")
MARKERS = ("circle", "square", "triangle", "diamond")
NO_DATA = "Aucune donnée à représenter."
NOT_RATED = "non renseigné"


@dataclass(frozen=True)
class Table:
    """The chart's data as a table: a header cell starts each row."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    id: str  # unique in a page: the ids of the <title> and <desc> derive from it
    title: str
    description: str
    svg: str  # escaped markup, ready to be inserted as is
    table: Table
    width: int
    height: int


@dataclass(frozen=True)
class Bar:
    label: str  # full label: the table, the tooltip
    value: Number | None  # percent; None draws no bar
    cells: tuple[str, ...] = ()  # further table cells (coverage…)
    short_label: str = ""  # drawn in the chart instead of `label` when set
    missing: str = NOT_RATED  # written in place of the bar when value is None


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[Number | None, ...]  # one per x label


def _num(value: float) -> str:
    """A coordinate, short and locale-free: 12.0 -> '12', 12.345 -> '12.35'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pct(value: Number) -> float:
    return min(100.0, max(0.0, float(value)))


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Cut `text` into lines of at most `width` characters on spaces; an ellipsis ends the last
    line when the text does not fit. A word longer than a line is cut."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[: width - 1] + "-")
            word = word[width - 1 :]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[: max_lines - 1] + [last[: width - 1].rstrip() + "…"]
    return lines or [""]


def _open_svg(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pilotis-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-family="{FONT}" font-size="13" fill="{TEXT}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(text)}</text>'


def _percent_tick(value: int) -> str:
    return f"{value}\u00a0%"


# --- Horizontal bars ------------------------------------------------------------------------------

BAR_WIDTH = 720
LABEL_CHARS = 44  # characters of a label line beside a bar
LABEL_LINES = 2
LINE_HEIGHT = 15
BAR_X = 300  # where bars start
BAR_SCALE = 330  # pixels for 100 %
BAR_HEIGHT = 16
AXIS_TOP = 30
COMPACT_FROM = 12


def _bar_description(bars: Sequence[Bar]) -> str:
    rated = [b for b in bars if b.value is not None]
    parts = [f"Barres horizontales, de 0 à 100\u00a0% ; {len(bars)} barre{'s' * (len(bars) > 1)}."]
    if rated:
        high = max(rated, key=lambda b: b.value)
        low = min(rated, key=lambda b: b.value)
        parts.append(f"La plus haute : {high.label} ({format_percent(high.value)}).")
        if len(rated) > 1:
            parts.append(f"La plus basse : {low.label} ({format_percent(low.value)}).")
    if len(rated) < len(bars):
        count = len(bars) - len(rated)
        parts.append(f"{count} sans valeur.")
    parts.append("Les valeurs sont dans le tableau qui suit.")
    return " ".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    label_heading: str,
    value_heading: str = "Taux d’avancement",
    extra_headings: Sequence[str] = (),
    description: str | None = None,
) -> Chart:
    """Horizontal bars of rates (0–100 %), one per row, with their data table."""
    description = description or (_bar_description(bars) if bars else NO_DATA)
    rows = []
    y = AXIS_TOP + 8
    # Many bars (the 26 general objectives of a CLS): one line each, so that the chart still
    # fits an A4 page; the full labels are in the table and in each bar's tooltip.
    compact = len(bars) > COMPACT_FROM
    for bar in bars:
        lines = wrap(bar.short_label or bar.label, LABEL_CHARS, 1 if compact else LABEL_LINES)
        height = max(24 if compact else 28, 12 + LINE_HEIGHT * len(lines))
        rows.append((bar, lines, y, height))
        y += height
    height = int(y + 12) if bars else 80
    out = _open_svg(chart_id, title, description, BAR_WIDTH, height)
    if not bars:
        out.append(_text(BAR_WIDTH / 2, 45, NO_DATA, text_anchor="middle", fill=MUTED))
    else:
        for tick in range(0, 101, 20):
            x = BAR_X + BAR_SCALE * tick / 100
            out.append(
                f'<line x1="{_num(x)}" y1="{AXIS_TOP - 6}" x2="{_num(x)}" y2="{_num(y)}" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
            out.append(
                _text(x, AXIS_TOP - 12, _percent_tick(tick), text_anchor="middle", fill=MUTED)
            )
    for bar, lines, top, row_height in rows:
        middle = top + row_height / 2
        value_text = format_percent(bar.value) if bar.value is not None else bar.missing
        out.append(f"<g><title>{escape(bar.label)} : {escape(value_text)}</title>")
        first = middle - LINE_HEIGHT * (len(lines) - 1) / 2 + 4
        for i, line in enumerate(lines):
            out.append(_text(0, first + i * LINE_HEIGHT, line))
        if bar.value is None:
            out.append(_text(BAR_X + 6, middle + 4, value_text, fill=MUTED, font_style="italic"))
        else:
            width = BAR_SCALE * _pct(bar.value) / 100
            out.append(
                f'<rect class="pilotis-chart__bar" x="{BAR_X}" y="{_num(middle - BAR_HEIGHT / 2)}"'
                f' width="{_num(width)}" height="{BAR_HEIGHT}" fill="{PALETTE[0]}"'
                f' data-value="{_num(float(bar.value))}"/>'
            )
            out.append(_text(BAR_X + width + 6, middle + 4, value_text, font_weight="bold"))
        out.append("</g>")
    out.append("</svg>")
    table = Table(
        caption=title,
        columns=(label_heading, value_heading, *extra_headings),
        rows=tuple(
            (
                b.label,
                format_percent(b.value) if b.value is not None else b.missing,
                *b.cells,
            )
            for b in bars
        ),
    )
    return Chart(chart_id, title, description, "".join(out), table, BAR_WIDTH, height)


# --- Lines over the years -------------------------------------------------------------------------

LINE_WIDTH = 720
PLOT_LEFT = 64
PLOT_RIGHT = 700
PLOT_TOP = 16
PLOT_HEIGHT = 220
LEGEND_CHARS = 80


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8" fill="{colour}"/>'
    if kind == "triangle":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y + 4)} {_num(x - 5)},{_num(y + 4)}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "diamond":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y)} {_num(x)},{_num(y + 5)} " + (
            f"{_num(x - 5)},{_num(y)}"
        )
        return f'<polygon points="{points}" fill="{colour}"/>'
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="{colour}"/>'


def _line_description(x_labels: Sequence[str], series: Sequence[Series]) -> str:
    parts = [
        f"Courbes de 0 à 100\u00a0%, {len(series)} série{'s' * (len(series) > 1)} sur "
        f"{len(x_labels)} année{'s' * (len(x_labels) > 1)} ({x_labels[0]} à {x_labels[-1]})."
    ]
    for one in series[:3]:
        known = [(x, v) for x, v in zip(x_labels, one.values, strict=True) if v is not None]
        if known:
            parts.append(
                f"{one.label} : de {format_percent(known[0][1])} ({known[0][0]}) à "
                f"{format_percent(known[-1][1])} ({known[-1][0]})."
            )
    parts.append("Les valeurs sont dans le tableau qui suit.")
    return " ".join(parts)


def line_chart(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    label_heading: str = "Série",
    description: str | None = None,
) -> Chart:
    """Rates over the years, one line per series (gaps where a year has no value)."""
    for one in series:
        if len(one.values) != len(x_labels):
            raise ValueError(f"series {one.label!r}: {len(one.values)} values for {len(x_labels)}")
    has_data = bool(x_labels) and any(v is not None for s in series for v in s.values)
    description = description or (_line_description(x_labels, series) if has_data else NO_DATA)
    legend = [wrap(s.label, LEGEND_CHARS, 2) for s in series] if has_data else []
    legend_top = PLOT_TOP + PLOT_HEIGHT + 48
    height = legend_top + sum(8 + LINE_HEIGHT * len(lines) for lines in legend) + 8
    if not has_data:
        height = 80
    out = _open_svg(chart_id, title, description, LINE_WIDTH, int(height))
    if not has_data:
        out.append(_text(LINE_WIDTH / 2, 45, NO_DATA, text_anchor="middle", fill=MUTED))
        out.append("</svg>")
    else:
        bottom = PLOT_TOP + PLOT_HEIGHT
        for tick in range(0, 101, 20):
            y = bottom - PLOT_HEIGHT * tick / 100
            out.append(
                f'<line x1="{PLOT_LEFT}" y1="{_num(y)}" x2="{PLOT_RIGHT}" y2="{_num(y)}" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
            out.append(
                _text(PLOT_LEFT - 8, y + 4, _percent_tick(tick), text_anchor="end", fill=MUTED)
            )
        pad = 36
        span = PLOT_RIGHT - PLOT_LEFT - 2 * pad
        count = len(x_labels)

        def x_of(i: int) -> float:
            return PLOT_LEFT + pad + (span * i / (count - 1) if count > 1 else span / 2)

        for i, label in enumerate(x_labels):
            for j, line in enumerate(wrap(label, 16, 2)):
                out.append(_text(x_of(i), bottom + 18 + j * 14, line, text_anchor="middle"))
        for index, one in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            dash = DASHES[index % len(DASHES)]
            marker = MARKERS[index % len(MARKERS)]
            width = 3 if index == 0 else 2
            out.append(f"<g><title>{escape(one.label)}</title>")
            segment: list[str] = []
            points = [
                (x_of(i), bottom - PLOT_HEIGHT * _pct(v) / 100) if v is not None else None
                for i, v in enumerate(one.values)
            ]
            for point in [*points, None]:
                if point is not None:
                    segment.append(f"{_num(point[0])},{_num(point[1])}")
                    continue
                if len(segment) > 1:
                    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                    out.append(
                        f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}"'
                        f' stroke-width="{width}"{dash_attr}/>'
                    )
                segment = []
            for i, point in enumerate(points):
                if point is not None:
                    out.append(
                        f"<g><title>{escape(one.label)}, {escape(x_labels[i])} : "
                        f"{escape(format_percent(one.values[i]))}</title>"
                        f"{_marker(marker, point[0], point[1], colour)}</g>"
                    )
            out.append("</g>")
        y = legend_top
        for index, lines in enumerate(legend):
            colour = PALETTE[index % len(PALETTE)]
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            middle = y + 4 + LINE_HEIGHT * len(lines) / 2
            out.append(
                f'<line x1="{PLOT_LEFT}" y1="{_num(middle - 4)}" x2="{PLOT_LEFT + 36}" '
                f'y2="{_num(middle - 4)}" stroke="{colour}" stroke-width="{3 if index == 0 else 2}"'
                f"{dash_attr}/>"
            )
            out.append(_marker(MARKERS[index % len(MARKERS)], PLOT_LEFT + 18, middle - 4, colour))
            for j, line in enumerate(lines):
                out.append(_text(PLOT_LEFT + 46, y + 4 + LINE_HEIGHT * (j + 0.5) + 4, line))
            y += 8 + LINE_HEIGHT * len(lines)
        out.append("</svg>")
    table = Table(
        caption=title,
        columns=(label_heading, *x_labels),
        rows=tuple(
            (s.label, *(format_percent(v) if v is not None else "—" for v in s.values))
            for s in series
        ),
    )
    return Chart(chart_id, title, description, "".join(out), table, LINE_WIDTH, int(height))
