"""Benchmark: the follow-up roll-ups and reports, on the Carcassonne CLS and on an ARS-wide load.

1. The Carcassonne CLS (55 fiches) with the demonstration campaigns of years 1 and 2: reading it
   from the database, every roll-up (the annual report of year 2, the final evaluation), and the
   renderers: the report page, the PDF (Typst; WeasyPrint before), the DOCX and the XLSX. The PDF
   is measured cold (a fresh Python process that loads the renderer and renders once) and warm
   (the same process rendering again): CPU time of the process, every thread counted, and wall
   time, with the machine's load average, since other processes share its cores.
2. 600 plans × 55 fiches × 5 years of generated follow-up stored in the database (bulk_create),
   half of the objectives and a quarter of the fiches weighted: reading each plan and
   computing all its roll-ups, for every plan.

Runs against a throw-away SQLite database unless DATABASE_URL is set (then against that server,
in a test database it creates and drops), as bench/import_plan.py does.
Usage: PILOTIS_DEBUG=true .venv/bin/python bench/followup.py [--plans 600] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal


def median_s(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def carcassonne(runs: int, pdf_runs: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from pilotis.accounts.models import Membership, Role
    from pilotis.followup.demo import CARCASSONNE
    from pilotis.importers.persist import save_draft
    from pilotis.importers.registry import parse_document
    from pilotis.plans.models import Plan
    from pilotis.reports import render_docx, render_xlsx
    from pilotis.reports.loader import load_plan_data
    from pilotis.reports.model import annual_report, final_report

    seed = settings.SEEDS_DIR / "000_1d393093c933b2a1.txt"
    if not seed.exists():
        print(f"Carcassonne: seed {seed} missing (PILOTIS_SEEDS_DIR), part skipped")
        return
    save_draft(parse_document(seed.read_bytes(), seed.name))
    call_command("demo_campaign", stdout=io.StringIO())
    plan = Plan.objects.select_related("perimeter").get(slug=CARCASSONNE)
    today = date.today()
    print(f"Carcassonne CLS: {plan.fiches.count()} fiches, demo campaigns of years 1 and 2")

    load = median_s(lambda: load_plan_data(plan), runs)
    data = load_plan_data(plan)
    annual = median_s(lambda: annual_report(data, 2, today), runs)
    final = median_s(lambda: final_report(data, today), runs)
    print(f"  read from the database (load_plan_data):   {load * 1000:8.1f} ms")
    print(f"  all roll-ups, annual report of year 2:      {annual * 1000:8.1f} ms")
    print(f"  all roll-ups, final evaluation (5 years):   {final * 1000:8.1f} ms")

    report = annual_report(data, 1, today)
    for _ in range(pdf_runs):
        pdf_cold_and_warm(report)
    docx = median_s(lambda: render_docx.annual_docx(report), pdf_runs)
    xlsx = median_s(lambda: render_xlsx.annual_xlsx(report), runs)
    print(f"  DOCX of the year-1 report:                  {docx:8.2f} s")
    print(f"  XLSX of the year-1 report:                  {xlsx:8.2f} s")
    user = Plan._meta.get_field("published_by").related_model.objects.create_user("bench")
    Membership.objects.create(user=user, plan=plan, role=Role.COORDINATOR)
    client = Client()
    client.force_login(user)
    url = f"/plans/{plan.slug}/suivi/1/rapport/"
    assert client.get(url).status_code == 200
    page = median_s(lambda: client.get(url), runs)
    print(f"  report page (HTML, charts and tables):      {page * 1000:8.1f} ms")


PDF_PROBE = """
import os, pickle, sys, time
import django
django.setup()
report = pickle.load(open(sys.argv[1], "rb"))
cpu, wall = time.process_time(), time.perf_counter()
from pilotis.reports import render_pdf
pdf = render_pdf.annual_pdf(report)
cold = (time.process_time() - cpu, time.perf_counter() - wall)
cpu, wall = time.process_time(), time.perf_counter()
render_pdf.annual_pdf(report)
warm = (time.process_time() - cpu, time.perf_counter() - wall)
import pypdfium2
pages = len(pypdfium2.PdfDocument(pdf))
print(*cold, *warm, pages, render_pdf.__doc__.split(":")[1].split()[0])
"""


def pdf_cold_and_warm(report) -> None:
    """The year-1 PDF rendered by a fresh process: cold (first render), then warm (second)."""
    import pickle
    import subprocess

    with tempfile.NamedTemporaryFile(suffix=".pickle") as dump:
        pickle.dump(report, dump)
        dump.flush()
        load = os.getloadavg()
        out = subprocess.run(
            [sys.executable, "-c", PDF_PROBE, dump.name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    cold_cpu, cold_wall, warm_cpu, warm_wall = map(float, out[:4])
    print(
        f"  PDF of the year-1 report, {out[4]} pages ({' '.join(out[5:])}):\n"
        f"    cold: {cold_cpu:6.2f} s CPU, {cold_wall:6.2f} s wall;"
        f"  warm: {warm_cpu:6.2f} s CPU, {warm_wall:6.2f} s wall"
        f"  (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"
    )


# --- ARS-wide: generated plans --------------------------------------------------------------------

RATES = (None, 0, 20, 40, 60, 80, 100)
# Most weights stay 1; the others as a coordinator would set them.
SECTION_WEIGHTS = (1, 1, 1, Decimal("0.5"), 2, Decimal("0.3333"))
FICHE_WEIGHTS = (1,) * 8 + (0, 2, Decimal("1.5"))
ANSWERS = ("yes", "yes", "no", "partly", "")


class Inserter:
    """Rows of one model written by executemany, with ids the bench allocates.

    Plans, sections, organisations and campaigns go through bulk_create; the 1.5 million rows of
    fiches, their parts and their follow-up do not: building a model instance per row costs
    Django about 150 µs, which would make the generation take most of the bench's run time.
    Columns left out get their field's default, prepared once.
    """

    def __init__(self, model, columns):
        from django.db import connection
        from django.db.models import JSONField

        self.connection = connection
        meta = model._meta
        fields = [meta.get_field(name) for name in columns]
        others = [f for f in meta.concrete_fields if f.name not in columns and not f.primary_key]
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        self.json = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
        self.json_field = fields[self.json[0]] if self.json else None
        names = [meta.pk.column] + [f.column for f in fields] + [f.column for f in others]
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            self.next_id = (cursor.fetchone()[0] or 0) + 1
        self.rows = []

    def add(self, *values) -> int:
        """Queue a row; its id."""
        pk = self.next_id
        self.next_id += 1
        if self.json:
            values = list(values)
            for i in self.json:
                values[i] = self.json_field.get_db_prep_save(values[i], self.connection)
        self.rows.append((pk, *values, *self.defaults))
        return pk

    def flush(self) -> None:
        with self.connection.cursor() as cursor:
            for first in range(0, len(self.rows), 20000):
                cursor.executemany(self.sql, self.rows[first : first + 20000])
        self.rows = []


def generate(plans: int, fiches: int, years: int, chunk: int = 100) -> list[int]:
    """Store `plans` plans shaped like Carcassonne's, with `years` campaigns each; their ids."""
    from django.db import transaction

    from pilotis.followup.models import (
        ActionStatus,
        Campaign,
        FicheFollowup,
        FicheReport,
        IndicatorValue,
        SectionFollowup,
    )
    from pilotis.plans.models import (
        Action,
        Fiche,
        FicheIndicator,
        FicheRole,
        Organisation,
        Plan,
        Section,
    )

    rng = random.Random(5)
    ids = []
    fiche_rows = Inserter(Fiche, ["plan", "section", "number", "position", "title", "public"])
    role_rows = Inserter(FicheRole, ["fiche", "organisation", "role", "as_written", "position"])
    action_rows = Inserter(Action, ["fiche", "letter", "text", "deadline_years", "position"])
    indicator_rows = Inserter(
        FicheIndicator, ["fiche", "kind", "action_letters", "text", "position"]
    )
    report_rows = Inserter(
        FicheReport,
        ["plan", "campaign", "fiche", "status", "progress_rate", "objective_reached"],
    )
    status_rows = Inserter(ActionStatus, ["plan", "report", "action", "done"])
    value_rows = Inserter(IndicatorValue, ["plan", "report", "indicator", "value_number"])
    weight_rows = Inserter(FicheFollowup, ["plan", "fiche", "weight"])
    publics = ["jeunes", "parents", "seniors", "tout public", "professionnels de santé"]
    for first in range(0, plans, chunk):
        with transaction.atomic():
            batch = Plan.objects.bulk_create(
                Plan(
                    slug=f"bench-{n}",
                    kind="cls",
                    title=f"Contrat local de santé n°{n}",
                    start_year=2024,
                    duration_years=years,
                    levels=["Ambition", "Objectif général"],
                )
                for n in range(first, min(plans, first + chunk))
            )
            ids += [p.pk for p in batch]
            ambitions = Section.objects.bulk_create(
                Section(plan=p, key=f"A{a}", number=str(a), title=f"Ambition {a}", position=a)
                for p in batch
                for a in range(1, 5)
            )
            objectives = Section.objects.bulk_create(
                Section(
                    plan_id=s.plan_id,
                    parent=s,
                    key=f"{s.key}.O{o}",
                    depth=1,
                    number=f"{s.number}.{o}",
                    title=f"Objectif {s.number}.{o}",
                    position=s.position * 10 + o,
                )
                for s in ambitions
                for o in range(1, 5)
            )
            leaves: dict[int, list[int]] = {}
            for s in objectives:
                leaves.setdefault(s.plan_id, []).append(s.pk)
            # Some coordinators weight their objectives and fiches (docs/roll-ups.md): the
            # roll-ups then run on exact fractions rather than on integers.
            SectionFollowup.objects.bulk_create(
                SectionFollowup(plan_id=s.plan_id, section=s, weight=weight)
                for s in objectives
                if (weight := rng.choice(SECTION_WEIGHTS)) != 1
            )
            organisations: dict[int, list] = {}
            for o in Organisation.objects.bulk_create(
                Organisation(plan=p, key=f"org-{i}", name=f"Organisation {i}")
                for p in batch
                for i in range(12)
            ):
                organisations.setdefault(o.plan_id, []).append(o)
            campaigns = Campaign.objects.bulk_create(
                Campaign(plan=p, year=y, deadline=date(2024 + y, 1, 31), status="validated")
                for p in batch
                for y in range(1, years + 1)
            )
            campaign_of = {(c.plan_id, c.year): c.pk for c in campaigns}
            for plan in batch:
                for n in range(1, fiches + 1):
                    fiche = fiche_rows.add(
                        plan.pk,
                        rng.choice(leaves[plan.pk]),
                        str(n),
                        n,
                        f"Fiche {n}",
                        ", ".join(rng.sample(publics, 2)),
                    )
                    weight = rng.choice(FICHE_WEIGHTS)
                    if weight != 1:
                        weight_rows.add(plan.pk, fiche, weight)
                    chosen = rng.sample(organisations[plan.pk], 4)
                    for i, (o, role) in enumerate(
                        zip(chosen, ["pilot", "copilot", "partner", "partner"], strict=True)
                    ):
                        role_rows.add(fiche, o.pk, role, o.name, i)
                    letters = "ABCDEFG"[: rng.randint(2, 7)]
                    actions = []
                    for i, x in enumerate(letters):
                        due = list(range(rng.randint(1, 2), years + 1))
                        actions.append((action_rows.add(fiche, x, f"Action {x}", due, i), due))
                    results = []
                    for i, x in enumerate(letters[:2]):
                        text = f"Nombre d’ateliers {x}"
                        results.append(indicator_rows.add(fiche, "result", [x], text, 2 * i))
                        indicator_rows.add(
                            fiche,
                            "monitoring",
                            [x],
                            f"Evolution du nombre d’ateliers {x}",
                            2 * i + 1,
                        )
                    for year in range(1, years + 1):
                        late = rng.random() < 0.1  # a late fiche: nothing sent this year
                        report = report_rows.add(
                            plan.pk,
                            campaign_of[(plan.pk, year)],
                            fiche,
                            "to_do" if late else "validated",
                            None if late else rng.choice(RATES),
                            None if late else rng.choice([None, True, False]),
                        )
                        if late:
                            continue
                        for action, due in actions:
                            if year in due:
                                status_rows.add(plan.pk, report, action, rng.choice(ANSWERS))
                        for indicator in results:
                            value_rows.add(plan.pk, report, indicator, Decimal(rng.randint(0, 40)))
            for inserter in (
                fiche_rows,
                role_rows,
                action_rows,
                indicator_rows,
                report_rows,
                status_rows,
                value_rows,
                weight_rows,
            ):
                inserter.flush()
        if sys.stdout.isatty():
            print(f"  generated {len(ids)} plans…", end="\r", flush=True)
    return ids


def ars_wide(plans: int, fiches: int, years: int) -> None:
    from django.db import connection

    from pilotis.followup.models import ActionStatus, FicheReport, IndicatorValue
    from pilotis.plans.models import Plan
    from pilotis.reports.loader import load_plan_data
    from pilotis.reports.model import annual_report, final_report

    start = time.perf_counter()
    ids = generate(plans, fiches, years)
    generated = time.perf_counter() - start
    rows = (
        FicheReport.objects.count() + ActionStatus.objects.count() + IndicatorValue.objects.count()
    )
    print(
        f"ARS-wide: {plans} plans × {fiches} fiches × {years} years stored in {generated:.0f} s "
        f"({rows} follow-up rows, {connection.vendor})"
    )
    today = date.today()
    loading = rolling = one_year = 0.0
    for plan in Plan.objects.filter(pk__in=ids).select_related("perimeter"):
        t0 = time.perf_counter()
        data = load_plan_data(plan)
        t1 = time.perf_counter()
        final_report(data, today)
        t2 = time.perf_counter()
        annual_report(data, 1, today)
        t3 = time.perf_counter()
        loading += t1 - t0
        rolling += t2 - t1
        one_year += t3 - t2
    each = f"{loading / plans * 1000:.1f} ms a plan"
    print(f"  read every plan from the database:        {loading:8.2f} s ({each})")
    each = f"{rolling / plans * 1000:.1f} ms a plan"
    print(f"  all roll-ups, 5 years (final evaluation):  {rolling:8.2f} s ({each})")
    print(f"  read + all roll-ups of every plan:         {loading + rolling:8.2f} s")
    print(f"  annual report of year 1, every plan:       {one_year:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=600)
    parser.add_argument("--fiches", type=int, default=55)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf-runs", type=int, default=1)
    parser.add_argument("--skip-carcassonne", action="store_true")
    parser.add_argument("--skip-ars", action="store_true")
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
        print(f"Pilotis — follow-up benchmark ({connection.vendor})")
        if not args.skip_carcassonne:
            carcassonne(args.runs, args.pdf_runs)
        if not args.skip_ars:
            ars_wide(args.plans, args.fiches, args.years)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
