from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = "Trafficking indicators"

    def ready(self) -> None:
        from indicators import checks  # noqa: F401 - registers the system check
