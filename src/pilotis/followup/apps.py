"""The yearly follow-up of a plan: campaigns, fiche reports, reminders."""

from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "pilotis.followup"
    label = "followup"
    verbose_name = "Suivi annuel"
