from django.apps import AppConfig


class ReferralConfig(AppConfig):
    name = "referral"
    verbose_name = "Cases and referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The workflow's steps are declared on their services (`@step`): the
        # registry (referral.steps.STEPS) is complete once they are imported.
        from nrm import outbox
        from referral import services  # noqa: F401
        from referral.services import transnational

        # Packages and acknowledgements go to partner inboxes, not by e-mail.
        for kind in (
            outbox.Notification.TRANSNATIONAL_HANDOVER,
            outbox.Notification.TRANSNATIONAL_ACKNOWLEDGEMENT,
        ):
            outbox.register_transport(kind, transnational.deliver)
