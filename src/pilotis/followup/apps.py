"""The yearly follow-up of a plan: campaigns, fiche reports, reminders."""

from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "pilotis.followup"
    label = "followup"
    verbose_name = "Suivi annuel"

    def ready(self) -> None:
        from pilotis.followup.history import fiche_sources
        from pilotis.plans.history import register_source

        register_source(fiche_sources)
