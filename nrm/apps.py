from django.apps import AppConfig


class NrmConfig(AppConfig):
    name = "nrm"
    verbose_name = "National referral mechanism"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from nrm import audit_keys  # noqa: F401 - registers its system check
