"""The home app: the page each person meets after signing in, and the site's legal pages."""

from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "pilotis.home"
    label = "home"
    verbose_name = "Accueil"
