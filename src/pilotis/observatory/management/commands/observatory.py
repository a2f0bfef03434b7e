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
        sub.add_parser(
            "ties",
            help="rattacher aux indicateurs de l’observatoire ceux des fiches qui les nomment",
        )

    def handle(self, *args, action: str, **options):
        if action == "indicators":
            created, updated = dictionary.load_indicators()
            self.stdout.write(
                self.style.SUCCESS(f"Indicateurs : {created} créés, {updated} mis à jour.")
            )
        elif action == "ties":
            from pilotis.observatory import ties
            from pilotis.plans.models import Plan

            for plan in Plan.objects.order_by("title"):
                for item, indicator in ties.suggestions(plan):
                    ties.tie(item, indicator, reason="Rattachement proposé par ses mots")
                    self.stdout.write(
                        f"{plan.slug}, fiche {item.fiche.number} : « {item.text[:60]} » "
                        f"→ {indicator.label}"
                    )
        else:
            report = figures.load_seed_figures(settings.SEEDS_DIR)
            for document, count in report.loaded.items():
                self.stdout.write(f"{document} : {count} valeurs chargées avec leur ligne.")
            for problem in report.problems:
                self.stdout.write(self.style.WARNING(problem))
