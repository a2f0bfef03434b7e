"""Benchmark: the observatory at the scale of France.

Generates communes (35 000 by default, 350 per department, 28 per EPCI, square shapes on a grid),
indicators × years of observations with numerators and denominators, loads them with bulk_create
(rate reported), then times:
- the aggregation of one rate indicator to every EPCI as the application does it
  (`portrait.aggregate_communes_by`: the ORM's GROUP BY with the indicator's rule), beside one
  hand-written SQL GROUP BY;
- a department's choropleth (its 350 communes: values, classes, SVG);
- the portrait page of one EPCI (the whole request, through the test client).

Runs against a throw-away SQLite database unless DATABASE_URL is set (then against that server,
in a test database it creates and drops), as the other benchmarks do.
Usage: PILOTIS_DEBUG=true .venv/bin/python bench/observatory.py [--communes 35000]
       [--indicators 20] [--years 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time


def median_s(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def square(x: float, y: float, size: float = 0.02) -> str:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps(
        {"type": "Polygon", "coordinates": [[[round(a, 4), round(b, 4)] for a, b in ring]]}
    )


def generate(communes: int, n_indicators: int, years: int) -> dict:
    from pilotis.observatory.models import Indicator, Observation, Territory

    rng = random.Random(14)
    per_department, per_epci = 350, 28
    departments = max(1, communes // per_department)
    places, epcis = [], []
    for d in range(departments):
        dept = f"{d + 1:02d}" if d < 99 else f"{d + 1:03d}"
        for i in range(per_department):
            n = d * per_department + i
            if n >= communes:
                break
            epci = f"2{n // per_epci:08d}"
            if n % per_epci == 0:
                epcis.append(epci)
            places.append(
                Territory(
                    level="commune",
                    code=f"{dept}{i:03d}",
                    name=f"Commune {dept}-{i}",
                    population=rng.randint(50, 20000),
                    area_km2=rng.uniform(2, 60),
                    epci_code=epci,
                    department_code=dept,
                    region_code="76",
                    geometry=square((i % 20) * 0.02, (i // 20) * 0.02),
                )
            )
    places += [Territory(level="epci", code=e, name=f"EPCI {e}") for e in epcis]
    places += [
        Territory(
            level="department", code=f"{d + 1:02d}", name=f"Département {d + 1}", region_code="76"
        )
        for d in range(departments)
    ]
    places += [
        Territory(level="region", code="76", name="Région"),
        Territory(level="country", code="FR", name="France"),
    ]
    start = time.perf_counter()
    Territory.objects.bulk_create(places, batch_size=2000)
    territories_s = time.perf_counter() - start

    indicators = list(
        Indicator.objects.filter(aggregation__in=["ratio", "sum"]).order_by("position")[
            :n_indicators
        ]
    )
    commune_ids = list(Territory.objects.filter(level="commune").values_list("pk", "population"))
    total, loaded_s = 0, 0.0
    for indicator in indicators:
        for year in range(2015, 2015 + years):
            rows = []
            for pk, population in commune_ids:
                cases = rng.randint(0, max(1, population // 10))
                if indicator.aggregation == "ratio":
                    value = cases / population * indicator.scale
                    rows.append(
                        Observation(
                            indicator_id=indicator.pk,
                            territory_id=pk,
                            period=str(year),
                            value=value,
                            numerator=cases,
                            denominator=population,
                            source="banc d’essai",
                            provenance="généré",
                        )
                    )
                else:
                    rows.append(
                        Observation(
                            indicator_id=indicator.pk,
                            territory_id=pk,
                            period=str(year),
                            value=cases,
                            source="banc d’essai",
                            provenance="généré",
                        )
                    )
            start = time.perf_counter()
            Observation.objects.bulk_create(rows, batch_size=5000)
            loaded_s += time.perf_counter() - start
            total += len(rows)
    return {
        "communes": len(commune_ids),
        "epci": len(epcis),
        "departments": departments,
        "indicators": len(indicators),
        "observations": total,
        "territories_s": territories_s,
        "load_s": loaded_s,
        "ratio_indicator": next(i for i in indicators if i.aggregation == "ratio"),
        "last_year": str(2015 + years - 1),
    }


def aggregate_app(indicator, period: str) -> dict:
    from pilotis.observatory.portrait import aggregate_communes_by

    return aggregate_communes_by(indicator, period, "epci")


def aggregate_sql(indicator, period: str) -> list:
    from django.db import connection

    from pilotis.observatory.models import Observation, Territory

    sql = (
        f"SELECT t.epci_code, SUM(o.numerator) * %s / SUM(o.denominator) "
        f"FROM {Observation._meta.db_table} o JOIN {Territory._meta.db_table} t "
        f"ON t.id = o.territory_id WHERE o.indicator_id = %s AND o.period = %s "
        f"GROUP BY t.epci_code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [indicator.scale, indicator.pk, period])
        return cursor.fetchall()


def choropleth(indicator, period: str, department: str) -> str:
    from pilotis.observatory import maps
    from pilotis.observatory.models import Observation, Territory

    communes = list(Territory.objects.filter(level="commune", department_code=department))
    values = dict(
        Observation.objects.filter(
            indicator=indicator, period=period, territory__in=[c.pk for c in communes]
        ).values_list("territory_id", "value")
    )
    features = [
        maps.Feature(c.code, c.name, json.loads(c.geometry), values.get(c.pk)) for c in communes
    ]
    svg, _ = maps.choropleth(features, title="banc", unit="%", source="banc d’essai")
    return svg


def run(args) -> None:
    from django.db import connection
    from django.test import Client

    print(
        f"Pilotis — observatory benchmark ({connection.vendor}); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    info = generate(args.communes, args.indicators, args.years)
    rate = info["observations"] / info["load_s"] if info["load_s"] else 0
    print(
        f"generated: {info['communes']} communes, {info['epci']} EPCI, {info['departments']} "
        f"departments, {info['indicators']} indicators × {args.years} years = "
        f"{info['observations']} observations"
    )
    print(
        f"load: territories {info['territories_s']:.2f} s; observations {info['load_s']:.1f} s "
        f"({rate:,.0f} rows/s)"
    )
    indicator, period = info["ratio_indicator"], info["last_year"]
    app = aggregate_app(indicator, period)
    sql = dict(aggregate_sql(indicator, period))
    worst = max(abs(app[k] - sql[k]) for k in sql)
    assert worst < 1e-6, worst
    app_s = median_s(lambda: aggregate_app(indicator, period), args.runs)
    sql_s = median_s(lambda: aggregate_sql(indicator, period), args.runs)
    print(
        f"aggregation of « {indicator.code} » to {len(sql)} EPCI: "
        f"application {app_s * 1000:.0f} ms, hand-written GROUP BY {sql_s * 1000:.0f} ms "
        f"(× {app_s / sql_s:.1f}); same results"
    )
    svg_s = median_s(lambda: choropleth(indicator, period, "01"), args.runs)
    print(
        f"choropleth of a department (350 communes): {svg_s * 1000:.0f} ms "
        f"({len(choropleth(indicator, period, '01')) // 1024} KiB of SVG)"
    )
    client = Client()
    url = "/observatoire/territoires/epci/200000000/"
    assert client.get(url).status_code == 200
    page_s = median_s(lambda: client.get(url), args.runs)
    print(f"portrait page of an EPCI (28 communes): {page_s * 1000:.0f} ms")
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f}; CPU time of this process: "
        f"{time.process_time():.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--communes", type=int, default=35000)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("PILOTIS_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotis.settings")
    tmp = tempfile.mkdtemp(prefix="pilotis-bench-")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["PILOTIS_VAR_DIR"] = tmp

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
