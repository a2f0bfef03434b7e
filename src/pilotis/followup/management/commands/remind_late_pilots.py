"""`pilotis remind_late_pilots`: e-mail each pilot their fiches still to transmit (for cron)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from pilotis.followup import reminders, tracking
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
        # French dates and labels, whatever the locale cron runs with.
        with translation.override(settings.LANGUAGE_CODE):
            self._remind(plan, dry_run, days)

    def _remind(self, plan: str | None, dry_run: bool, days: int) -> None:
        today = timezone.localdate()
        campaigns = list(reminders.campaigns_to_chase(today, days, plan))
        if not campaigns:
            self.stdout.write("Aucune campagne ouverte n’arrive à échéance : personne à relancer.")
            return
        to_send, unreached = reminders.plan_reminders(campaigns, today, days)
        failed = 0
        for reminder in to_send:
            user = reminder.user
            name = user.get_full_name() or user.get_username()
            n = len(reminder.fiches)
            fiches = f"{n} fiche{_s(n)}"
            if dry_run:
                self.stdout.write(f"Enverrait à {user.email} ({name}) : {fiches}")
                for item in reminder.fiches:
                    self.stdout.write(
                        f"  - {item.campaign.plan.title}, {item.campaign.year_label} : "
                        f"fiche n°{item.fiche.number} — {item.fiche.title} "
                        f"({item.report.get_status_display().lower()}, "
                        f"{item.lateness_label.lower()}) {item.url}"
                    )
                continue
            try:
                reminders.render(reminder, today).send()
            except (smtplib.SMTPException, OSError) as exc:
                failed += 1
                self.stderr.write(f"Échec de l’envoi à {user.email} ({name}) : {exc}")
            else:
                self.stdout.write(f"Envoyé à {user.email} ({name}) : {fiches}")
        for item in unreached:
            self.stdout.write(
                self.style.WARNING(
                    f"Personne à relancer pour la fiche n°{item.fiche.number} "
                    f"({item.campaign.plan.title}, {item.campaign.year_label}) : aucun compte "
                    "de pilote avec une adresse électronique pour ses organisations."
                )
            )
        count, sent = len(to_send), len(to_send) - failed
        if dry_run:
            would = "aurait été envoyé" if count < 2 else "auraient été envoyés"
            self.stdout.write(
                f"Simulation : {count} courriel{_s(count)} {would}, rien n’est parti."
            )
        else:
            self.stdout.write(f"{sent} courriel{_s(sent)} envoyé{_s(sent)} sur {count}.")
        if failed:
            raise CommandError(
                f"{failed} courriel{_s(failed)} {'n’ont' if failed > 1 else 'n’a'} pas pu partir."
            )


def _s(n: int) -> str:
    """French plural mark: none for 0 and 1."""
    return "s" if n > 1 else ""
