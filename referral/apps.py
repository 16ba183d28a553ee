from django.apps import AppConfig


class ReferralConfig(AppConfig):
    name = "referral"
    verbose_name = "Cases and referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The workflow's steps are declared on their services (`@step`): the
        # registry (referral.steps.STEPS) is complete once they are imported.
        from referral import services  # noqa: F401
