from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pilotis.core"
    label = "core"
    verbose_name = "Socle"
