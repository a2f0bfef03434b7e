from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "pilotis.importers"
    label = "importers"
    verbose_name = "Imports"
