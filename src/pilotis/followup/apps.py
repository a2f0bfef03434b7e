"""The yearly follow-up of a plan: campaigns, fiche reports, reminders."""

from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "pilotis.followup"
    label = "followup"
    verbose_name = "Suivi annuel"

    def ready(self) -> None:
        from pilotis.followup.history import fiche_sources
        from pilotis.followup.plan_progress import plan_progress
        from pilotis.followup.trajectory import fiche_trajectory
        from pilotis.plans.history import register_source
        from pilotis.plans.panels import register_panel
        from pilotis.plans.progress import register_provider

        register_source(fiche_sources)
        register_provider(plan_progress)
        register_panel(fiche_trajectory)
