from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "pilotis.governance"
    label = "governance"
    verbose_name = "Instances et réunions"
    default_auto_field = "django.db.models.BigAutoField"
