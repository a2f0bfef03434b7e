from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "pilotis.governance"
    label = "governance"
    verbose_name = "Instances et réunions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pilotis.governance.panels import bodies_of
        from pilotis.plans.panels import register_organisation_panel

        register_organisation_panel(bodies_of)
