"""Benchmark: the plan editor's pages and changes on a 55-fiche plan (the Carcassonne CLS).

Imports the Carcassonne CLS (55 fiches, 192 actions, 167 indicators) from PILOTIS_SEEDS_DIR; without
the seed, writes a 55-fiche plan with the editor itself (5 axes, 3 actions, a pilot and an
indicator per fiche). Then, logged in as the plan's coordinator, times each editor page (median)
with its query count, and a few changes through the pages (add an action, add a section, merge
two organisations). Runs against a throw-away SQLite database unless DATABASE_URL is set (then
against that server, in a database it creates and drops).
Usage: PILOTIS_DEBUG=true .venv/bin/python bench/plan_editor.py [--runs 20]
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


def written_plan(user):
    """A 55-fiche plan written through the editor's services (no seed needed)."""
    from datetime import date

    from pilotis.plans import editor

    plan = editor.create_plan(
        editor.PlanValues(
            kind="cls",
            title="CLS de banc d’essai",
            signatories=["ARS"],
            signature_date=date(2025, 1, 1),
            start_year=2025,
            duration_years=5,
            perimeter="Banc d’essai",
            levels=["Axe"],
        ),
        user,
    )
    for axis in range(1, 6):
        plan.refresh_from_db()
        section = editor.add_section(plan, plan.version, None, str(axis), f"Axe {axis}", user)
        for i in range(11):
            number = str((axis - 1) * 11 + i + 1)
            plan.refresh_from_db()
            fiche = editor.add_fiche(
                plan, plan.version, section, {"number": number, "title": f"Fiche {number}"}, user
            )
            for text in ("Informer", "Former", "Évaluer"):
                editor.add_action(fiche, fiche.version, "", text, [1, 2], user)
            organisation = plan.organisations.filter(name=f"Organisation {axis}").first()
            new = (
                None
                if organisation
                else {"name": f"Organisation {axis}", "acronym": "", "aliases": []}
            )
            editor.add_role(fiche, fiche.version, "pilot", organisation, new, user)
            editor.add_indicator(fiche, fiche.version, "result", "Personnes touchées", ["A"], user)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
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
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from pilotis.accounts import roles
    from pilotis.importers.persist import save_draft
    from pilotis.importers.registry import parse_document
    from pilotis.plans.models import Fiche, Plan

    setup_test_environment()
    # As Django's tests do: the connection stays open across requests (its query log with it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        user = get_user_model().objects.create_user("coordinatrice", password="x")
        seed = Path(settings.SEEDS_DIR) / "000_1d393093c933b2a1.txt"
        start = time.perf_counter()
        if seed.exists():
            save_draft(parse_document(seed.read_bytes(), seed.name))
            plan = Plan.objects.get()
            roles.grant(user, plan, roles.Role.COORDINATOR)
            origin = f"imported from {seed.name}"
        else:
            plan = written_plan(user)
            origin = "written with the editor (seed missing)"
        setup_ms = (time.perf_counter() - start) * 1000
        fiche = Fiche.objects.filter(plan=plan).order_by("position").get(number="2")
        print(f"Pilotis — plan editor benchmark ({connection.vendor}, median of {args.runs})")
        print(
            f"plan: {plan.title} — {plan.fiches.count()} fiches, "
            f"{sum(f.actions.count() for f in plan.fiches.all())} actions, "
            f"{plan.organisations.count()} organisations; {origin} in {setup_ms:.0f} ms"
        )
        client = Client()
        client.force_login(user)
        action = fiche.actions.order_by("position").first()
        for label, url in [
            ("editor page (sections and 55 fiches)", reverse("plans:editor", args=[plan.slug])),
            ("fiche n°2 parts page", reverse("plans:fiche_parts", args=[plan.slug, "2"])),
            (
                "organisations page",
                reverse("plans:organisations_editor", args=[plan.slug]),
            ),
            (
                "action edit page",
                reverse("plans:action_edit", args=[plan.slug, "2", action.pk]),
            ),
            ("plan settings page", reverse("plans:plan_settings", args=[plan.slug])),
        ]:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            # The log is a bounded deque, full after the import: empty it to count.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            ms = median_ms(lambda url=url: client.get(url), args.runs)
            print(f"{label + ':':40s}{ms:8.1f} ms  {len(queries):3d} queries")

        add_url = reverse("plans:fiche_part_add", args=[plan.slug, "2", "action"])

        def add_action():
            fiche.refresh_from_db()
            response = client.post(
                add_url,
                {
                    "text": "Action de banc d’essai",
                    "deadline_years": ["1"],
                    "version": fiche.version,
                },
            )
            assert response.status_code == 302

        ms = median_ms(add_action, max(5, args.runs // 4))
        print(f"{'POST add an action (fiche n°2):':40s}{ms:8.1f} ms")

        def add_section():
            plan.refresh_from_db()
            response = client.post(
                reverse("plans:section_add", args=[plan.slug]),
                {
                    "parent": "",
                    "number": "",
                    "title": "Section de banc d’essai",
                    "version": plan.version,
                },
            )
            assert response.status_code == 302

        ms = median_ms(add_section, max(5, args.runs // 4))
        print(f"{'POST add a section (renumbers all):':40s}{ms:8.1f} ms")

        organisations = list(plan.organisations.order_by("-pk")[:2])
        keep, drop = organisations
        plan.refresh_from_db()
        start = time.perf_counter()
        response = client.post(
            reverse("plans:organisations_editor", args=[plan.slug]),
            {"keep": keep.pk, "drop": drop.pk, "version": plan.version},
        )
        assert response.status_code == 302
        merge_ms = (time.perf_counter() - start) * 1000
        print(f"{'POST merge two organisations (once):':40s}{merge_ms:8.1f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
