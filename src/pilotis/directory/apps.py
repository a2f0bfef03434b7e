from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "pilotis.directory"
    label = "directory"
    verbose_name = "Répertoire des ressources"
    default_auto_field = "django.db.models.BigAutoField"
