"""Django's admin on django-otp's site: staff need a verified second factor.

Installed in place of `django.contrib.admin` (INSTALLED_APPS). The admin is for
configuration only (nrm/admin.py); the third-party models that come with the
sign-in hardening (tokens, OTP devices, lockout records) stay out of it, so the
registry stays the audited list in tests/nrm/test_directory.py.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "django_otp.admin.OTPAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin

        for label in ("knox.AuthToken", "otp_totp.TOTPDevice"):
            model = self.apps.get_model(label)
            if admin.site.is_registered(model):
                admin.site.unregister(model)
