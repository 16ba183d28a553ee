"""DRF permission classes. What a signed-in user may do to an object is the
access policy's answer (referral/policy.py); these only gate the door.

Who counts as signed in is `nrm.auth.is_signed_in`, named by the
SIGNED_IN_GATE setting rather than imported, so that every app, `indicators`
included, can gate its API without importing `nrm`.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


def is_signed_in(user) -> bool:
    return bool(import_string(settings.SIGNED_IN_GATE)(user))


class DenyAll(BasePermission):
    """The default: a view that states no policy serves nobody."""

    def has_permission(self, request, view) -> bool:
        return False


class IsSignedIn(BasePermission):
    """Signed in, active, and verified by a one-time password when any of the
    user's roles reads personal data (a verified session, or an API token
    issued after the one-time password); see nrm/auth.py. What each may do is
    then the policy's answer."""

    message = _("Sign in with your one-time password to use this.")

    def has_permission(self, request, view) -> bool:
        return is_signed_in(request.user)


class HoldsApiToken(BasePermission):
    """The request carries a valid API token of an active user (to revoke it)."""

    def has_permission(self, request, view) -> bool:
        from knox.models import AuthToken

        user = request.user
        return isinstance(request.auth, AuthToken) and bool(user and user.is_active)
