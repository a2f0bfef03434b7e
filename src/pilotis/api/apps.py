"""Django application of the REST API and its personal tokens."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pilotis.api"
    label = "api"
    verbose_name = "API"
