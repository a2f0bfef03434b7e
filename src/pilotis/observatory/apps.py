from django.apps import AppConfig


class ObservatoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pilotis.observatory"
    verbose_name = "Observatoire territorial"

    def ready(self) -> None:
        from pilotis.observatory import providers

        providers.register()
