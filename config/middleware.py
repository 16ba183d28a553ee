"""Small middleware of our own: per-user language, private responses."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control

# Nothing here may use powerful browser features.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class UserLanguageMiddleware:
    """A signed-in user is served in their own language (User.preferred_language),
    whatever browser they use. After django's LocaleMiddleware and
    AuthenticationMiddleware, which it overrides for signed-in users."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.preferred_language
            if language in self.languages:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user or an
    API token's bearer, so no shared cache or browser history keeps a page or
    answer that may carry personal data; and a restrictive Permissions-Policy
    on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # DRF sets request.user for token-authenticated API requests too.
        user = getattr(request, "user", None)
        if (
            user is not None and user.is_authenticated
        ) or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, no_store=True, private=True)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
