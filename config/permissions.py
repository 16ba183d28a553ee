"""DRF permission classes. What a signed-in user may do to an object is the
access policy's answer (referral/policy.py); these only gate the door."""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """The default: a view that states no policy serves nobody."""

    def has_permission(self, request, view) -> bool:
        return False


class IsSignedIn(BasePermission):
    """Signed in and active; what each may do is then the policy's answer."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
