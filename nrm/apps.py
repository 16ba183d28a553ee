from django.apps import AppConfig


class NrmConfig(AppConfig):
    name = "nrm"
    verbose_name = "National referral mechanism"
    default_auto_field = "django.db.models.BigAutoField"
