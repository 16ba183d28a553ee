from django.apps import AppConfig


class ReferralConfig(AppConfig):
    name = "referral"
    verbose_name = "Cases and referrals"
    default_auto_field = "django.db.models.BigAutoField"
