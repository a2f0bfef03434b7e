"""`pilotis remind_late_pilots`: e-mail each pilot their fiches still to transmit (for cron)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from pilotis.followup import reminders, tasks, tracking
from pilotis.plans.models import Plan


class Command(BaseCommand):
    help = (
        "Relance par courriel les pilotes des fiches pas encore transmises, dans les campagnes "
        "ouvertes dont la date limite est proche ou passée. À lancer par cron, par exemple "
        "chaque lundi ; --dry-run affiche qui recevrait quoi sans rien envoyer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", metavar="SLUG", help="Seulement ce plan (son identifiant).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche les courriels qui seraient envoyés, sans les envoyer.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=tracking.DUE_SOON_DAYS,
            help="Relancer dès que la date limite est à moins de DAYS jours "
            f"(par défaut {tracking.DUE_SOON_DAYS}).",
        )

    def handle(self, *args, plan=None, dry_run=False, days=tracking.DUE_SOON_DAYS, **options):
        if not settings.PILOTIS_BASE_URL:
            raise CommandError(
                "PILOTIS_BASE_URL n’est pas défini : les liens des courriels ont besoin de "
                "l’adresse publique du site (voir docs/configuration.md)."
            )
        if days < 0:
            raise CommandError("--days doit être positif ou nul.")
        if plan and not Plan.objects.filter(slug=plan).exists():
            raise CommandError(f"Aucun plan n’a l’identifiant « {plan} ».")
        # French dates and labels, whatever the locale cron runs with (the task sets its own).
        with translation.override(settings.LANGUAGE_CODE):
            self._remind(plan, dry_run, days)

    def _remind(self, plan: str | None, dry_run: bool, days: int) -> None:
        if dry_run:
            reminders.remind(timezone.localdate(), days, plan, dry_run=True, say=self._say)
            return
        job = tasks.start_reminders(plan, days)
        if not job.is_finished:
            self.stdout.write(
                f"Relances confiées au service de tâches de fond (tâche {job.pk}) : elles "
                "partiront dès qu’il la prendra (voir docs/configuration.md). "
                "PILOTIS_TASKS_BACKEND=immediate les envoie depuis cette commande."
            )
            return
        if job.status == job.Status.FAILED:
            raise CommandError(job.error)
        for stream, text in job.result["lines"]:
            self._say(stream, text)
        if job.result["failed"]:
            raise CommandError(reminders.failure_message(job.result["failed"]))

    def _say(self, stream: str, text: str) -> None:
        if stream == "err":
            self.stderr.write(text)
        elif stream == "warn":
            self.stdout.write(self.style.WARNING(text))
        else:
            self.stdout.write(text)
