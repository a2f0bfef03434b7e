from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "pilotis.directory"
    label = "directory"
    verbose_name = "Répertoire des ressources"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pilotis.directory.panels import resources_run_by
        from pilotis.plans.panels import register_organisation_panel

        register_organisation_panel(resources_run_by)
