"""The reports app: annual and final evaluation reports read from the plans and the follow-up."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pilotis.reports"
    label = "reports"
    verbose_name = "Rapports"
