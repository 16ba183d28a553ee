"""The staff pages' shell: signing in and out, the second factor, the home
page, the language, the session keep-alive; and the pages for a CSRF failure
and a lockout. Pages of other apps use `nrm.auth.staff_login_required`."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from nrm import auth
from nrm.forms import OneTimePasswordForm, SignInForm
from nrm.roles import Capability, role_may
from nrm.selectors import active_memberships

# The pages each capability opens, in menu order. Other apps serve them.
NAVIGATION = [
    (Capability.CASE_VIEW, "/cases/", gettext_lazy("Cases")),
    (Capability.REFERRAL_INBOX, "/referrals/inbox/", gettext_lazy("Referral inbox")),
    (Capability.DECISION_TAKE, "/decisions/", gettext_lazy("Decisions")),
    (Capability.DEADLINES_VIEW, "/deadlines/overdue/", gettext_lazy("Overdue work")),
    (
        Capability.DUPLICATE_REVIEW,
        "/duplicates/",
        gettext_lazy("Possible duplicates"),
    ),
    (Capability.STATISTICS_NATIONAL, "/statistics/", gettext_lazy("Statistics")),
    (Capability.STATISTICS_ORGANISATION, "/statistics/", gettext_lazy("Statistics")),
    (Capability.EXERCISE_RUN, "/training/", gettext_lazy("Exercise control")),
]

_OTP_ERRORS = {
    "wrong": gettext_lazy(
        "That code is not correct or has expired. Enter the code your "
        "authenticator app shows now."
    ),
    "throttled": gettext_lazy(
        "Too many wrong codes in a row. Wait a few seconds, then enter the "
        "code your authenticator app shows now."
    ),
    "exists": gettext_lazy("A device is already set up for this account."),
}


def navigation_for(user) -> list[dict]:
    links: list[dict] = []
    seen: set[str] = set()
    roles = {m.role for m in active_memberships(user)}
    for capability, path, label in NAVIGATION:
        if path not in seen and any(role_may(role, capability) for role in roles):
            links.append({"path": path, "label": label})
            seen.add(path)
    if user.is_staff:
        links.append({"path": "/admin/", "label": gettext_lazy("Administration")})
    return links


def page_context(request: HttpRequest) -> dict:
    """Context processor: the menu and the session timer for base.html."""
    user = getattr(request, "user", None)
    if user is None or not auth.is_signed_in(user):
        return {"nav_links": [], "signed_in": False}
    idle = int(settings.SESSION_COOKIE_AGE)
    return {
        "nav_links": navigation_for(user),
        "signed_in": True,
        "session_idle_seconds": idle,
        "session_warning_seconds": min(settings.SESSION_WARNING_SECONDS, idle // 2),
    }


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return reverse("home")


def _signed_in_response(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """Off to where they were going, in their own language."""
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.preferred_language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@never_cache
@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if auth.is_signed_in(request.user):
        return redirect(next_url)
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        step = auth.start_sign_in(request, form.user)
        if step is not None:
            return redirect(auth.url_with_next(step, next_url))
        return _signed_in_response(request, form.user, next_url)
    context = {
        "form": form,
        "next": next_url,
        "expired": request.GET.get("expired") == "1",
    }
    return render(request, "nrm/sign_in.html", context)


@never_cache
def sign_in_otp(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = auth.sign_in_candidate(request)
    if user is None:
        if auth.is_signed_in(request.user):
            return redirect(next_url)
        messages.info(request, _("Sign in again, please."))
        return redirect(auth.url_with_next("sign-in", next_url))
    if not auth.has_device(user):
        return redirect(auth.url_with_next("sign-in-otp-setup", next_url))
    form = OneTimePasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device, outcome = auth.verify_second_factor(
            request, user, form.cleaned_data["otp_token"]
        )
        if device is not None:
            auth.complete_sign_in(request, user, device)
            return _signed_in_response(request, user, next_url)
        if outcome == "locked":
            return locked_out(request)
        form.add_error("otp_token", _OTP_ERRORS[outcome])
    return render(request, "nrm/sign_in_otp.html", {"form": form, "next": next_url})


def _qr_svg(config_url: str) -> str | None:
    """The set-up link as an SVG QR code (pure Python: no image library)."""
    try:
        import qrcode
        import qrcode.image.svg
    except ImportError:  # qrcode is optional: the key is shown as text too
        return None
    image = qrcode.make(
        config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8
    )
    return image.to_string(encoding="unicode")


@never_cache
def sign_in_otp_setup(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = auth.sign_in_candidate(request)
    if user is None and auth.is_signed_in(request.user):
        user = request.user  # choosing a second factor without needing one
    if user is None:
        messages.info(request, _("Sign in again, please."))
        return redirect(auth.url_with_next("sign-in", next_url))
    if auth.has_device(user):
        if auth.is_verified(user):
            return redirect(next_url)
        return redirect(auth.url_with_next("sign-in-otp", next_url))
    if not auth.self_enrolment_allowed(user):
        return render(request, "nrm/sign_in_otp_setup.html", {"allowed": False})
    device = auth.enrolment_device(request, user)
    form = OneTimePasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        saved, outcome = auth.enrol_device(
            request, user, form.cleaned_data["otp_token"]
        )
        if saved is not None:
            auth.complete_sign_in(request, user, saved)
            messages.success(request, _("Your one-time passwords are set up."))
            return _signed_in_response(request, user, next_url)
        if outcome == "locked":
            return locked_out(request)
        form.add_error("otp_token", _OTP_ERRORS[outcome])
    secret = b32encode(unhexlify(device.key)).decode()
    context = {
        "allowed": True,
        "required": auth.otp_required(user),
        "form": form,
        "next": next_url,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "qr_svg": _qr_svg(device.config_url),
    }
    return render(request, "nrm/sign_in_otp_setup.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    was_signed_in = request.user.is_authenticated
    logout(request)
    if was_signed_in:
        messages.success(request, _("You have signed out."))
    return redirect("sign-in")


@never_cache
@auth.staff_login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = sorted(
        active_memberships(request.user),
        key=lambda m: (m.organisation.name, m.role),
    )
    panels = []
    for path in settings.HOME_PANELS:
        panels.extend(import_string(path)(request))
    context = {
        "memberships": memberships,
        "panels": panels,
        "links": navigation_for(request.user),
        "may_add_device": not auth.has_device(request.user)
        and settings.OTP_SELF_ENROLMENT,
    }
    return render(request, "nrm/home.html", context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, the redirect back), and for a
    signed-in user also their stored preference, applied wherever they sign in."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        auth.user_set_language(user=request.user, language=language)
    return django_set_language(request)


@require_POST
@auth.staff_login_required
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Touching the session (saved on every request) restarts its idle clock."""
    return HttpResponse(status=204)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a plain page, no technical detail."""
    return render(request, "nrm/csrf_failure.html", status=403)


def locked_out(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: too many failures from here for this username."""
    if hasattr(request, "session"):
        auth.abandon_sign_in(request)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute, or "
        "ask an administrator to unlock your account.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, or "
        "ask an administrator to unlock your account.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        body = {"code": "locked_out", "message": message, "detail": None}
        return JsonResponse(body, status=429)
    form = SignInForm(request)
    context = {"form": form, "next": reverse("home"), "locked": message}
    return render(request, "nrm/sign_in.html", context, status=429)
