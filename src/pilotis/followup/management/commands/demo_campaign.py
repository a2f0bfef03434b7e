"""`pilotis demo_campaign`: demonstration campaigns (years 1 and 2) for the Carcassonne CLS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pilotis.followup import demo
from pilotis.plans.models import Plan

BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        "Crée les campagnes de démonstration des années 1 et 2 du CLS de Carcassonne (valeurs "
        "fictives, marquées « données de démonstration » partout où elles s’affichent). "
        "Remplace les campagnes de démonstration existantes ; refuse une année qui a déjà une "
        "vraie campagne. --supprimer les retire."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--plan",
            default=demo.CARCASSONNE,
            help="identifiant (slug) du plan ; par défaut le CLS de Carcassonne",
        )
        parser.add_argument(
            "--supprimer",
            action="store_true",
            dest="remove",
            help="retirer les campagnes de démonstration du plan, sans en créer",
        )

    def handle(self, *args, **options) -> None:
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            # `make demo` runs without the seeds too: say so, and do not fail the target.
            self.stdout.write(
                f"Plan « {options['plan']} » introuvable : aucune campagne de démonstration "
                "créée (importez d’abord les documents de démonstration : pilotis seed_demo)."
            )
            return
        if options["remove"]:
            count = demo.remove(plan)
            self.stdout.write(
                f"{count} campagne(s) de démonstration retirée(s) de « {plan.title} »."
            )
            return
        try:
            installed = demo.install(plan, timezone.localdate())
        except demo.RealCampaign as refusal:
            years = ", ".join(f"année {y}" for y in refusal.years)
            raise CommandError(
                f"« {plan.title} » a déjà une vraie campagne de suivi ({years}) : les données "
                "de démonstration ne sont jamais mêlées à un vrai suivi. Rien n’a été modifié."
            ) from None
        for item in installed:
            campaign = item.campaign
            verb = "remplacée" if item.replaced else "créée"
            details = [
                f"{item.transmitted} fiches transmises",
                f"{item.pending} non transmise{'s' if item.pending > 1 else ''}",
            ]
            if item.decisions:
                details.append(f"{item.decisions} décisions du COPIL")
            self.stdout.write(
                f"Campagne de démonstration de l’{campaign.year_label} {verb} "
                f"({campaign.get_status_display().lower()}) : {', '.join(details)}."
            )
        first = installed[0].campaign
        self.stdout.write(
            f"Rapport de démonstration : {BASE_URL}/plans/{plan.slug}/suivi/{first.year}/rapport/"
        )
