"""Benchmark: importing a 200-fiche plan spreadsheet (issue 10, item 5).

1. A generated Territoires en Transitions file: 200 fiches (actions of the template) under
   4 axes × 5 sous-axes, each with two sous-actions and every column filled (600 data rows), as
   XLSX and as CSV: reading and parsing (pure), then storing it (save_draft, one transaction).
2. The same plan exported as Pilotis's own spreadsheet (plans.spreadsheet), then read back
   through the review step: writing the XLSX, parsing it, comparing it with the stored plan.

The data is generated (no real plan has 200 fiches in this layout at hand); the figures are the
median of --runs runs. Runs against a throw-away SQLite database unless DATABASE_URL is set
(then in a test database it creates and drops), as bench/import_plan.py does.
Usage: PILOTIS_DEBUG=true .venv/bin/python bench/plan_spreadsheet.py [--fiches 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date


class Timing(float):
    """A median wall time in ms that also prints the median CPU time of this process."""

    cpu: float

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} ms (CPU {self.cpu:.0f})"


def median_ms(func, runs: int) -> tuple[Timing, object]:
    """Median wall and CPU time: the machine is shared, CPU time says what the code costs."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    timing = Timing(statistics.median(walls))
    timing.cpu = statistics.median(cpus)
    return timing, result


def tet_rows(n_fiches: int) -> list[list]:
    """Data rows of the template: one per fiche, then two sous-actions each."""
    rows = []
    for i in range(n_fiches):
        axis, sub = i % 4 + 1, i // 4 % 5 + 1
        path = [f"{axis}. Axe stratégique {axis}", f"{axis}.{sub} Sous-axe {axis}.{sub}", None]
        title = f"Action {i + 1} : développer l’offre de prévention n°{i + 1}"
        base = [
            f"Descriptif de l’action {i + 1}, sur plusieurs phrases. " * 3,
            "COPIL du CLS, comité technique",
            f"Réduire les inégalités sociales de santé (objectif {i + 1})",
            "Nombre de bénéficiaires, Taux de participation (en %), Nombre de partenaires",
            ["CCAS", "CAF", "CPAM", "Mairie"][i % 4],
            "0,5 ETP de coordination",
            'ARS, Département (PMI, ASE), "Association A, B"',
            "Direction de la santé",
            "Chargé·e de mission santé",
            "Adjoint·e à la santé",
            "Consultation des habitants",
            "Fonds d’intervention régional",
            "ARS",
            12500,
            "CAF",
            "3 000,50",
            "Région",
            1000,
            16500.5,
            ["À venir", "En cours", "Réalisé"][i % 3],
            ["Élevé", "Moyen", "Bas"][i % 3],
            date(2025, 1 + i % 12, 1),
            date(2027, 1 + i % 12, 28),
        ]
        rows.append([*path, title, None, *base])
        for s in (1, 2):
            rows.append([*path, title, f"Sous-action {s} de l’action {i + 1}", *base])
    return rows


def tet_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    from pilotis.core.cells import xlsx_value
    from pilotis.importers.tet import COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Plan d'actions")
    sheet.append(["Modèle d’import de plan"])
    sheet.append([h for _, h in COLUMNS])
    sheet.append(["Consignes"])
    for values in rows:
        cells = []
        for value in values:
            if isinstance(value, str):
                from openpyxl.cell import WriteOnlyCell

                cell = WriteOnlyCell(sheet)
                xlsx_value(cell, value)
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tet_csv(rows: list[list]) -> bytes:
    import csv

    from pilotis.importers.tet import COLUMNS

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Modèle d’import de plan"])
    writer.writerow([h for _, h in COLUMNS])
    writer.writerow(["Consignes"])
    for values in rows:
        writer.writerow(
            [
                v.strftime("%d/%m/%Y")
                if isinstance(v, date)
                else (str(v).replace(".", ",") if isinstance(v, float) else v)
                for v in values
            ]
        )
    return out.getvalue().encode("cp1252", errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, default=200)
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

    print(f"Load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    from django.test.utils import setup_test_environment

    from pilotis.importers.persist import save_draft
    from pilotis.importers.registry import parse_document
    from pilotis.importers.review import diff_plans
    from pilotis.plans.export import plan_from_dict, plan_to_dict
    from pilotis.plans.models import Plan
    from pilotis.plans.spreadsheet import plan_to_xlsx

    rows = tet_rows(args.fiches)
    xlsx_bytes, csv_bytes = tet_xlsx(rows), tet_csv(rows)
    print(
        f"Territoires en Transitions file: {args.fiches} fiches, {len(rows)} data rows, "
        f"XLSX {len(xlsx_bytes) / 1024:.0f} KiB, CSV {len(csv_bytes) / 1024:.0f} KiB "
        f"(median of {args.runs} runs, {connection.vendor})"
    )
    ms, draft = median_ms(lambda: parse_document(xlsx_bytes, "plan-200.xlsx"), args.runs)
    actions = sum(len(f.actions) for f in draft.fiches)
    print(f"  read + parse XLSX: {ms:8.1f} ({len(draft.fiches)} fiches, {actions} actions)")
    ms, _ = median_ms(lambda: parse_document(csv_bytes, "plan-200.csv"), args.runs)
    print(f"  read + parse CSV:  {ms:8.1f}")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        ms, _ = median_ms(lambda: save_draft(draft), 1)
        print(f"  first import (save_draft, one transaction): {ms:8.1f}")
        ms, _ = median_ms(lambda: save_draft(draft), args.runs)
        print(f"  same file again (nothing changes):          {ms:8.1f}")

        plan = Plan.objects.get(slug=draft.slug)
        print("Pilotis spreadsheet of the same plan:")
        ms, data = median_ms(lambda: plan_to_dict(plan), args.runs)
        print(f"  plan_to_dict (database): {ms:8.1f}")
        ms, sheet = median_ms(lambda: plan_to_xlsx(data), args.runs)
        print(f"  write XLSX:              {ms:8.1f} ({len(sheet) / 1024:.0f} KiB)")
        ms, back = median_ms(lambda: parse_document(sheet, "plan-200-pilotis.xlsx"), args.runs)
        print(f"  read + parse XLSX:       {ms:8.1f}")
        stored = plan_from_dict(data)
        ms, diff = median_ms(lambda: diff_plans(stored, back), args.runs)
        print(f"  review diff:             {ms:8.1f} (changed: {diff.changed})")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
