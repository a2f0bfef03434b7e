"""The SVG charts, pure: valid markup, title and description, proportional bars, empty data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from pilotis.reports.charts import (
    BAR_SCALE,
    NO_DATA,
    Bar,
    Series,
    bar_chart,
    line_chart,
    wrap,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on markup that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def bars_chart():
    return bar_chart(
        "ambitions",
        "Taux d’avancement par ambition — année 1 (2024)",
        [
            Bar("1. Agir pour des comportements favorables en santé", 80, ("4 sur 5",)),
            Bar("2. Renforcer l’accès aux soins", Fraction(85, 2), ("2 sur 2",)),
            Bar("3. Un environnement <sain> & « durable »", 20, ("1 sur 3",)),
            Bar("4. Anticiper", None, ("0 sur 2",), missing="aucun taux d’avancement renseigné"),
        ],
        label_heading="Ambition",
        extra_headings=("Couverture",),
    )


def test_bar_chart_is_valid_svg_with_title_and_description():
    chart = bars_chart()
    root = parse(chart.svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "ambitions-title ambitions-desc"
    assert root.find(f"{SVG}title").text == chart.title
    assert root.find(f"{SVG}title").get("id") == "ambitions-title"
    description = root.find(f"{SVG}desc").text
    assert description == chart.description
    assert "La plus haute : 1. Agir pour des comportements favorables en santé (80,0\u00a0%)" in (
        description
    )
    assert "1 sans valeur" in description
    # No style attribute nor element: the pages' Content-Security-Policy forbids inline styles.
    assert not re.search(r"\sstyle=|<style", chart.svg)


def test_bars_are_proportional_to_the_rates():
    root = parse(bars_chart().svg)
    bars = root.findall(f".//{SVG}rect[@class='pilotis-chart__bar']")
    widths = {float(b.get("data-value")): float(b.get("width")) for b in bars}
    assert widths == {80.0: BAR_SCALE * 0.8, 42.5: BAR_SCALE * 0.425, 20.0: BAR_SCALE * 0.2}
    assert widths[80.0] / widths[20.0] == pytest.approx(4)


def test_labels_are_escaped_and_values_written_the_french_way():
    chart = bars_chart()
    assert "&lt;sain&gt; &amp; « durable »" in chart.svg
    texts = [t.text for t in parse(chart.svg).iter(f"{SVG}text")]
    assert "42,5\u00a0%" in texts and "80,0\u00a0%" in texts
    assert "aucun taux d’avancement renseigné" in texts  # no bar, the reason instead
    assert "0\u00a0%" in texts and "100\u00a0%" in texts  # the axis


def test_bar_chart_always_has_its_data_table():
    table = bars_chart().table
    assert table.columns == ("Ambition", "Taux d’avancement", "Couverture")
    assert table.rows[1] == ("2. Renforcer l’accès aux soins", "42,5\u00a0%", "2 sur 2")
    assert table.rows[3] == ("4. Anticiper", "aucun taux d’avancement renseigné", "0 sur 2")


def test_rates_beyond_the_scale_stay_in_the_chart():
    chart = bar_chart("x", "Titre", [Bar("trop", 150), Bar("négatif", -5)], label_heading="S")
    widths = [float(b.get("width")) for b in parse(chart.svg).iter(f"{SVG}rect")]
    assert widths == [BAR_SCALE, 0]


def test_empty_bar_chart():
    chart = bar_chart("vide", "Taux par ambition", [], label_heading="Ambition")
    root = parse(chart.svg)
    assert chart.description == NO_DATA
    assert [t.text for t in root.iter(f"{SVG}text")] == [NO_DATA]
    assert chart.table.rows == ()


def test_many_bars_take_one_line_each():
    label = "Améliorer le bien-être de la population dans une vision globale de santé physique"
    few = bar_chart("a", "T", [Bar(label, 50)] * 3, label_heading="S")
    many = bar_chart("b", "T", [Bar(label, 50)] * 26, label_heading="S")
    assert few.svg.count("<text") - 6 == 3 * 3  # two label lines and a value per bar
    assert many.svg.count("<text") - 6 == 26 * 2  # one label line and a value
    assert many.height < 26 * 28 + 60
    assert many.table.rows[0][0] == label  # the full label stays in the table


def test_long_labels_wrap_on_two_lines_with_an_ellipsis():
    lines = wrap("Améliorer le bien-être de la population dans une vision globale de santé", 20, 2)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(len(line) <= 20 for line in lines)
    assert wrap("court", 20, 2) == ["court"]
    assert wrap("", 20, 2) == [""]


def trajectory():
    return line_chart(
        "trajectoire",
        "Taux d’avancement année après année",
        ["Année 1 (2024)", "Année 2 (2025)", "Année 3 (2026)"],
        [
            Series("Ensemble du contrat", (20, Fraction(130, 3), None)),
            Series("1. Agir", (None, 40, 60)),
        ],
        label_heading="Taux d’avancement",
    )


def test_line_chart_is_valid_svg_with_its_table():
    chart = trajectory()
    root = parse(chart.svg)
    assert root.find(f"{SVG}title").text == chart.title
    assert "Ensemble du contrat : de 20,0\u00a0% (Année 1 (2024)) à 43,3\u00a0%" in (
        root.find(f"{SVG}desc").text
    )
    assert chart.table.columns == (
        "Taux d’avancement",
        "Année 1 (2024)",
        "Année 2 (2025)",
        "Année 3 (2026)",
    )
    assert chart.table.rows == (
        ("Ensemble du contrat", "20,0\u00a0%", "43,3\u00a0%", "—"),
        ("1. Agir", "—", "40,0\u00a0%", "60,0\u00a0%"),
    )
    assert not re.search(r"\sstyle=|<style", chart.svg)


def test_line_chart_points_follow_the_values():
    root = parse(trajectory().svg)
    lines = root.findall(f".//{SVG}polyline")
    # A gap where a year has no value: each series draws one segment of two points here.
    assert len(lines) == 2
    first = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    (x1, y1), (x2, y2) = first
    bottom, height = 16 + 220, 220
    assert y1 == pytest.approx(bottom - height * 0.2)
    assert y2 == pytest.approx(bottom - height * 130 / 300, abs=0.01)
    assert x2 > x1
    # Series differ by dash and marker, not by colour alone.
    assert lines[1].get("stroke-dasharray")
    assert root.findall(f".//{SVG}rect") and root.findall(f".//{SVG}circle")


def test_line_chart_without_values():
    chart = line_chart("vide", "Trajectoire", ["Année 1"], [Series("Contrat", (None,))])
    assert chart.description == NO_DATA
    assert not re.search("<polyline", chart.svg)
    parse(chart.svg)
    with pytest.raises(ValueError):
        line_chart("x", "T", ["Année 1", "Année 2"], [Series("Contrat", (10,))])
