"""Choropleth maps drawn as SVG on the server (pure): class breaks, colours, legend, source.

One renderer serves the page and the PDF. Class breaks come from jenkspy (natural breaks) or
the standard library's quantiles; a commune whose value is secret or missing is hatched grey
and named so in the legend. The SVG carries a title and a description; the page shows the same
values in a table for screen readers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from html import escape

import jenkspy

# Sequential blues (DSFR "bleu France" tints), light to dark.
PALETTE = ["#e3e3fd", "#cacafb", "#a1a1f8", "#6a6af4", "#313178", "#000091"]
NO_VALUE = "#ffffff"
OUTLINE = "#3a3a3a"
METHODS = {"jenks": "seuils naturels (Jenks)", "quantiles": "quantiles (effectifs égaux)"}


@dataclass
class Feature:
    code: str
    name: str
    geometry: dict  # GeoJSON geometry, lon/lat
    value: float | None = None
    secret: bool = False


def class_breaks(values: list[float], classes: int = 5, method: str = "jenks") -> list[float]:
    """The class limits, lowest first (classes + 1 numbers), fewer when values are few."""
    distinct = sorted(set(values))
    if not distinct:
        return []
    if len(distinct) <= classes:
        return [distinct[0], *distinct[1:]] if len(distinct) > 1 else [distinct[0], distinct[0]]
    if method == "quantiles":
        inner = statistics.quantiles(values, n=classes, method="inclusive")
    else:
        inner = [float(b) for b in jenkspy.jenks_breaks(values, n_classes=classes)[1:-1]]
    limits = [distinct[0], *inner, distinct[-1]]
    return sorted(set(limits))


def class_of(value: float, breaks: list[float]) -> int:
    for i in range(1, len(breaks)):
        if value <= breaks[i]:
            return i - 1
    return len(breaks) - 2


def colours(n: int) -> list[str]:
    if n <= 1:
        return [PALETTE[3]]
    step = (len(PALETTE) - 1) / (n - 1)
    return [PALETTE[round(i * step)] for i in range(n)]


def number(value: float, digits: int = 1) -> str:
    """French writing of a number: narrow no-break space for thousands, decimal comma."""
    if value is None:
        return "—"
    if abs(value - round(value)) < 1e-9 and abs(value) >= 100:
        text = f"{round(value):,}"
    else:
        text = f"{value:,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return geometry["coordinates"]
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _projector(features: list[Feature], width: float, height: float, margin: float = 4):
    points = [pt for f in features for ring in _rings(f.geometry) for pt in ring]
    if not points:
        return None, 0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    span_x = max((max(xs) - min(xs)) * kx, 1e-9)
    span_y = max(max(ys) - min(ys), 1e-9)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    used_height = span_y * scale + 2 * margin

    def project(pt):
        return (
            margin + (pt[0] - min(xs)) * kx * scale,
            margin + (max(ys) - pt[1]) * scale,
        )

    return project, used_height


def _path(geometry: dict, project) -> str:
    parts = []
    for ring in _rings(geometry):
        coords = [project(pt) for pt in ring]
        if len(coords) < 3:
            continue
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "Z")
    return "".join(parts)


def choropleth(
    features: list[Feature],
    *,
    title: str,
    unit: str,
    source: str,
    method: str = "jenks",
    classes: int = 5,
    width: int = 640,
    map_height: int = 480,
) -> tuple[str, list[float]]:
    """The SVG map and the class limits used."""
    values = [f.value for f in features if f.value is not None and not f.secret]
    breaks = class_breaks(values, classes, method) if values else []
    n_classes = max(len(breaks) - 1, 1)
    fills = colours(n_classes)
    project, used = _projector(features, width, map_height)
    if project is None:
        return "", breaks
    shapes = []
    for f in features:
        if f.secret:
            fill, label = "url(#secret)", "secret statistique"
        elif f.value is None:
            fill, label = NO_VALUE, "pas de valeur"
        else:
            fill, label = fills[class_of(f.value, breaks)], f"{number(f.value)} {unit}"
        shapes.append(
            f'<path d="{_path(f.geometry, project)}" fill="{fill}" stroke="{OUTLINE}" '
            f'stroke-width="0.6"><title>{escape(f.name)} ({escape(f.code)}) : '
            f"{escape(label)}</title></path>"
        )
    legend_y = used + 16
    legend = [f'<text x="4" y="{legend_y}" font-weight="bold">{escape(unit)}</text>']
    y = legend_y + 8
    for i in range(n_classes):
        low, high = (breaks[i], breaks[i + 1]) if len(breaks) > 1 else (0, 0)
        text = f"de {number(low)} à {number(high)}" if breaks else "—"
        legend.append(
            f'<rect x="4" y="{y}" width="18" height="12" fill="{fills[i]}" stroke="{OUTLINE}" '
            f'stroke-width="0.6"/><text x="28" y="{y + 10}">{escape(text)}</text>'
        )
        y += 18
    if any(f.secret for f in features):
        legend.append(
            f'<rect x="4" y="{y}" width="18" height="12" fill="url(#secret)" stroke="{OUTLINE}" '
            f'stroke-width="0.6"/><text x="28" y="{y + 10}">secret statistique</text>'
        )
        y += 18
    if any(f.value is None and not f.secret for f in features):
        legend.append(
            f'<rect x="4" y="{y}" width="18" height="12" fill="{NO_VALUE}" stroke="{OUTLINE}" '
            f'stroke-width="0.6"/><text x="28" y="{y + 10}">pas de valeur</text>'
        )
        y += 18
    method_text = METHODS.get(method, method)
    legend.append(
        f'<text x="4" y="{y + 12}" font-size="11">Classes : {escape(method_text)}. '
        f"Source : {escape(source)}</text>"
    )
    height = y + 22
    description = (
        f"Carte de {len(features)} territoires, {len(values)} avec une valeur, en "
        f"{n_classes} classes ({method_text})."
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-labelledby="map-title map-desc" '
        f'font-family="Marianne, Arial, sans-serif" font-size="12">'
        f'<title id="map-title">{escape(title)}</title>'
        f'<desc id="map-desc">{escape(description)}</desc>'
        '<defs><pattern id="secret" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888888" stroke-width="2"/></pattern></defs>'
        + "".join(shapes)
        + "".join(legend)
        + "</svg>"
    )
    return svg, breaks


def outline(features: list[Feature], *, title: str, width: int = 480, map_height: int = 360) -> str:
    """The communes of a perimeter, without values (the plan's territory page)."""
    project, used = _projector(features, width, map_height)
    if project is None:
        return ""
    shapes = "".join(
        f'<path d="{_path(f.geometry, project)}" fill="#cacafb" stroke="#000091" '
        f'stroke-width="0.6"><title>{escape(f.name)} ({escape(f.code)})</title></path>'
        for f in features
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {used:.0f}" '
        f'width="{width}" height="{used:.0f}" role="img" aria-labelledby="outline-title">'
        f'<title id="outline-title">{escape(title)}</title>{shapes}</svg>'
    )
