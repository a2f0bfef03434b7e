"""Aggregation rules, class breaks and the SVG map: pure functions."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pilotis.observatory import aggregation, maps
from pilotis.observatory.aggregation import NotAggregatable, Point


def test_counts_are_summed_only_when_every_commune_has_one():
    result = aggregation.aggregate("sum", [Point(10), Point(5)])
    assert (result.value, result.used, result.missing) == (15, 2, 0)
    with pytest.raises(NotAggregatable, match="1 commune"):
        aggregation.aggregate("sum", [Point(10), Point(5), Point(None)])


def test_rates_are_ratios_of_sums_not_means_of_rates():
    # 1 case in 10 and 50 in 1000: the mean of rates would be 7.5 %, the true rate is 5.0 %.
    points = [Point(10, 1, 10), Point(5, 50, 1000)]
    assert aggregation.aggregate("ratio", points, 100).value == pytest.approx(5.0495, rel=1e-3)


def test_a_rate_without_its_counts_is_not_aggregated():
    with pytest.raises(NotAggregatable, match="numérateurs"):
        aggregation.aggregate("ratio", [Point(10, 1, 10), Point(5)], 100)


def test_weighted_mean_by_population():
    points = [Point(2.0, population=1000), Point(4.0, population=3000)]
    assert aggregation.aggregate("weighted_mean", points).value == pytest.approx(3.5)


def test_not_aggregatable_is_refused():
    with pytest.raises(NotAggregatable, match="ne s’agrège pas"):
        aggregation.aggregate("none", [Point(82.0)])
    assert aggregation.aggregate_by("none", {"a": [Point(1)]}) == {
        "a": "cet indicateur ne s’agrège pas à partir des communes"
    }


def test_natural_breaks_and_quantiles():
    values = [1, 2, 3, 4, 5, 10, 11, 12, 30, 31]
    assert maps.class_breaks(values, 3, "jenks") == [1, 5, 12, 31]
    assert maps.class_breaks(values, 4, "quantiles") == [1, 3.25, 7.5, 11.75, 31]
    assert maps.class_breaks([2, 2, 3], 5) == [2, 3]
    assert maps.class_of(5, [1, 5, 12, 31]) == 0
    assert maps.class_of(6, [1, 5, 12, 31]) == 1
    assert maps.class_of(31, [1, 5, 12, 31]) == 2


def square(x):
    return {
        "type": "Polygon",
        "coordinates": [[[x, 43], [x + 1, 43], [x + 1, 44], [x, 44], [x, 43]]],
    }


def test_choropleth_svg_has_title_legend_source_and_secret():
    features = [
        maps.Feature("11069", "Carcassonne", square(0), 3.1),
        maps.Feature("11379", "Trèbes", square(1), 4.2),
        maps.Feature("11033", "Berriac", square(2), None, secret=True),
        maps.Feature("11262", "Pennautier", square(3), None),
        maps.Feature("11076", "Castelnaudary", square(4), 2.0),
    ]
    svg, breaks = maps.choropleth(
        features, title="APL 2022", unit="consultations", source="DREES <APL>", method="quantiles"
    )
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "APL 2022"
    assert root.get("role") == "img"
    paths = root.findall(f"{ns}path")
    assert len(paths) == 5
    titles = [p.find(f"{ns}title").text for p in paths]
    assert titles[0] == "Carcassonne (11069) : 3,1 consultations"
    assert titles[2] == "Berriac (11033) : secret statistique"
    assert paths[2].get("fill") == "url(#secret)"
    assert paths[3].get("fill") == maps.NO_VALUE
    text = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "Source : DREES <APL>" in text
    assert "quantiles" in text and "secret statistique" in text and "pas de valeur" in text
    assert breaks[0] == 2.0 and breaks[-1] == 4.2
    # The darkest class is the highest value.
    fills = {t: p.get("fill") for t, p in zip(titles, paths, strict=True)}
    assert fills["Trèbes (11379) : 4,2 consultations"] == maps.PALETTE[-1]
    # North is up: Carcassonne's square spans the map's height.
    ys = [float(y) for y in re.findall(r"[ML][\d.]+,([\d.]+)", paths[0].get("d"))]
    assert min(ys) == pytest.approx(4, abs=0.5)


def test_french_numbers():
    assert maps.number(115830) == "115\u202f830"
    assert maps.number(21.4) == "21,4"
    assert maps.number(28.0) == "28"
    assert maps.number(1234.56, 2) == "1\u202f234,56"


def test_database_aggregation_follows_the_rules(aude):
    from pilotis.observatory.models import Indicator, Observation
    from pilotis.observatory.portrait import aggregate_communes_by

    screening = Indicator.objects.get(code="breast_screening")
    ald = Indicator.objects.get(code="ald_new")
    apl = Indicator.objects.get(code="apl_gp")
    rows = []
    for code, (num, den) in {"11069": (400, 1000), "11262": (5, 10), "11076": (30, 100)}.items():
        territory = aude[code]
        rows += [
            Observation(
                indicator=screening,
                territory=territory,
                period="2022",
                value=num / den * 100,
                numerator=num,
                denominator=den,
                source="s",
                provenance="p",
            ),
            Observation(
                indicator=ald,
                territory=territory,
                period="2022",
                value=num,
                source="s",
                provenance="p",
            ),
            Observation(
                indicator=apl,
                territory=territory,
                period="2022",
                value=den / 100,
                source="s",
                provenance="p",
            ),
        ]
    Observation.objects.bulk_create(rows)
    rates = aggregate_communes_by(screening, "2022", "epci")
    assert rates["200035715"] == pytest.approx(405 / 1010 * 100)
    assert rates["241100593"] == pytest.approx(30.0)
    # Sums only where every commune has a value (the agglomeration has 4, 2 with values).
    assert aggregate_communes_by(ald, "2022", "epci") == {"241100593": 30}
    weighted = aggregate_communes_by(apl, "2022", "department")["11"]
    assert weighted == pytest.approx((10 * 46031 + 0.1 * 2623 + 1 * 11789) / (46031 + 2623 + 11789))
    with pytest.raises(NotAggregatable):
        aggregate_communes_by(Indicator.objects.get(code="life_expectancy"), "2022", "epci")
