"""Benchmark: parse and import the Carcassonne CLS, then serve its overview and fiche pages.

Prints medians over repeated runs. Runs against a throw-away SQLite database unless
DATABASE_URL is set (then against that server, in a database it creates and drops).
Usage: PILOTIS_DEBUG=true .venv/bin/python bench/import_plan.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def median_ms(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
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
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from pilotis.importers.persist import save_draft
    from pilotis.importers.registry import parse_document
    from pilotis.plans.models import Plan

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        seed = Path(settings.SEEDS_DIR) / "000_1d393093c933b2a1.txt"
        data = seed.read_bytes()
        print(f"Pilotis — import benchmark ({connection.vendor}, {args.runs} runs, median)")
        lines = data.count(b"\n")
        print(f"document: {seed.name}, {len(data) / 1024:.0f} KiB, {lines} lines")

        parse_ms = median_ms(lambda: parse_document(data, seed.name), args.runs)
        print(f"parse (pure, no database):           {parse_ms:8.1f} ms")

        def fresh_import():
            Plan.objects.all().delete()
            save_draft(parse_document(data, seed.name))

        import_ms = median_ms(fresh_import, args.runs)
        print(f"import into an empty database:       {import_ms:8.1f} ms")
        reimport_ms = median_ms(lambda: save_draft(parse_document(data, seed.name)), args.runs)
        print(f"re-import of the same document:      {reimport_ms:8.1f} ms")

        plan = Plan.objects.get()
        client = Client()
        page_runs = max(args.runs, 20)
        for label, url in [
            ("overview page (55 fiches)", f"/plans/{plan.slug}/"),
            ("fiche page (fiche n°2)", f"/plans/{plan.slug}/fiches/2/"),
            ("search page ('parentalite')", "/recherche/?q=parentalite"),
        ]:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            ms = median_ms(lambda url=url: client.get(url), page_runs)
            print(f"{label + ':':37s}{ms:8.1f} ms  (median of {page_runs})")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
