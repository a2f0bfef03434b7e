"""`pilotis observatory indicators|figures`: the indicator dictionary and the seeds' figures."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from pilotis.observatory import dictionary, figures


class Command(BaseCommand):
    help = (
        "Observatoire : `indicators` charge le dictionnaire des indicateurs livré avec Pilotis ; "
        "`figures` charge les chiffres des documents de démonstration avec leur ligne."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("indicators", help="charger le dictionnaire des indicateurs")
        sub.add_parser("figures", help="charger les chiffres des documents (PILOTIS_SEEDS_DIR)")

    def handle(self, *args, action: str, **options):
        if action == "indicators":
            created, updated = dictionary.load_indicators()
            self.stdout.write(
                self.style.SUCCESS(f"Indicateurs : {created} créés, {updated} mis à jour.")
            )
        else:
            report = figures.load_seed_figures(settings.SEEDS_DIR)
            for document, count in report.loaded.items():
                self.stdout.write(f"{document} : {count} valeurs chargées avec leur ligne.")
            for problem in report.problems:
                self.stdout.write(self.style.WARNING(problem))
