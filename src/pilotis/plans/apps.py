from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "pilotis.plans"
    label = "plans"
    verbose_name = "Plans"
