"""Signing in: the second factor, lockout, API tokens, and the one gate.

Who needs what
    A user holding an active membership with a role that reads personal data
    (`nrm.roles.PERSONAL_DATA_ROLES`) needs a time-based one-time password
    (TOTP, django-otp) on top of the password. Everybody else (rapporteur,
    administrator) needs the password only; once they have a confirmed device
    they are asked for its code too.

The gate
    `is_signed_in(user)` is the one answer: authenticated, active, and
    verified by a one-time password where the user's roles need it.
    `core.permissions.IsSignedIn` (every API view) and
    `staff_login_required` / `StaffLoginRequiredMixin` (every page) ask it. A
    session is verified by django-otp's OTPMiddleware (`user.is_verified()`);
    an API token is verified when it was issued after a one-time password
    check, which its prefix records (`nrm2f_`, against `nrm1f_` for a
    password-only token). The prefix is part of the hashed secret, so the
    bearer cannot change it.

Signing in on the pages (nrm/views.py)
    password, then the one-time password step (or setting a device up, for a
    user who needs one and has none), then Django's `login()`. Until the last
    step the session holds only the pending user's id, for five minutes:
    nobody is signed in with half the factors.

Lockout
    django-axes counts failures of either step per (keyed hash of the typed
    username, client address); five within 30 minutes lock that pair for 30
    minutes (config/settings/base.py). Axes never sees the typed text.

Audit
    `AuditedAxesHandler` writes LOGIN, LOGIN_FAILED, LOCKOUT and LOGOUT for
    every path through django.contrib.auth (pages, the token endpoint, the
    admin). The actor is the user when the username exists, otherwise nobody:
    the typed text, which may be a person's name typed into the wrong field, is
    never written. Tokens write TOKEN_ISSUED and TOKEN_REVOKED.
"""

from __future__ import annotations

import time
from binascii import unhexlify
from functools import wraps
from urllib.parse import urlencode

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, login
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken

from nrm import audit
from nrm.audit import Event
from nrm.models import User
from nrm.roles import PERSONAL_DATA_ROLES
from nrm.selectors import active_memberships

PENDING_SESSION_KEY = "nrm_sign_in_pending"
ENROLMENT_SESSION_KEY = "nrm_otp_enrolment_key"
PENDING_SECONDS = 5 * 60
VERIFIED_TOKEN_PREFIX = "nrm2f_"  # noqa: S105 - a public prefix, not a secret
PASSWORD_TOKEN_PREFIX = "nrm1f_"  # noqa: S105 - a public prefix, not a secret
_DEFAULT_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- Who needs what ---------------------------------------------------------


def otp_required(user) -> bool:
    """True when any of the user's active roles reads personal data."""
    return any(m.role in PERSONAL_DATA_ROLES for m in active_memberships(user))


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def second_factor_needed(user) -> bool:
    """At sign-in: those who must, and those who chose to, use a device."""
    return otp_required(user) or has_device(user)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def is_signed_in(user) -> bool:
    """The gate: every API view and page asks this and nothing else."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    return is_verified(user) or not otp_required(user)


# --- The gate for pages -------------------------------------------------------


def session_expired(request: HttpRequest) -> bool:
    """The browser sent a session cookie whose session is gone: it expired.

    Signing out deletes the cookie, so this is true only on the first request
    after an idle timeout (the response then deletes the stale cookie).
    """
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return False
    request.session.keys()  # loads it; an unknown or expired key is dropped
    return request.session.session_key is None


def url_with_next(name: str, next_url: str, **extra: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url, **extra})}"


def sign_in_redirect(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where a page request must go first, or None when it may proceed."""
    user = request.user
    if is_signed_in(user):
        return None
    next_url = request.get_full_path()
    if user.is_authenticated and user.is_active:
        # Signed in with a password, and since given a role that reads
        # personal data: the second factor first.
        step = "sign-in-otp" if has_device(user) else "sign-in-otp-setup"
        return HttpResponseRedirect(url_with_next(step, next_url))
    if session_expired(request):
        return HttpResponseRedirect(url_with_next("sign-in", next_url, expired="1"))
    return HttpResponseRedirect(url_with_next("sign-in", next_url))


def staff_login_required(view):
    """Decorate every staff page: signed in, and verified where needed.

    Anonymous visitors go to the sign-in page (told when their session
    expired); a user who still owes the second factor goes to that step.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        redirect = sign_in_redirect(request)
        if redirect is not None:
            return redirect
        return view(request, *args, **kwargs)

    return wrapped


class StaffLoginRequiredMixin:
    """The same gate for class-based views; put it first among the bases."""

    def dispatch(self, request, *args, **kwargs):
        redirect = sign_in_redirect(request)
        if redirect is not None:
            return redirect
        return super().dispatch(request, *args, **kwargs)


# --- Signing in, step by step ---------------------------------------------------


def start_sign_in(request: HttpRequest, user: User) -> str | None:
    """After a correct password: sign in, or name the step still owed."""
    if not second_factor_needed(user):
        complete_sign_in(request, user)
        return None
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user": str(user.pk),
        "backend": getattr(user, "backend", _DEFAULT_BACKEND),
        "at": int(time.time()),
    }
    return "sign-in-otp" if has_device(user) else "sign-in-otp-setup"


def sign_in_candidate(request: HttpRequest) -> User | None:
    """Who is between the password and the one-time password, if anyone."""
    user = request.user
    if user.is_authenticated:
        return user if user.is_active and not is_verified(user) else None
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    candidate = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if candidate is not None:
        candidate.backend = pending.get("backend") or _DEFAULT_BACKEND
    return candidate


def complete_sign_in(request: HttpRequest, user: User, device=None) -> None:
    """Django's login(); the device (if any) makes the session verified."""
    if device is not None:
        # django-otp's user_logged_in receiver stores it in the session.
        user.otp_device = device
    backend = (
        getattr(user, "backend", None)
        or request.session.get(BACKEND_SESSION_KEY)
        or _DEFAULT_BACKEND
    )
    request.session.pop(PENDING_SESSION_KEY, None)
    request.session.pop(ENROLMENT_SESSION_KEY, None)
    login(request, user, backend=backend)


def abandon_sign_in(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
    request.session.pop(ENROLMENT_SESSION_KEY, None)


def _credentials(user: User, factor: str) -> dict:
    return {"username": user.get_username(), "factor": factor}


def _record_failure(request: HttpRequest, user: User, factor: str) -> None:
    """A wrong one-time password counts towards the lockout like a password."""
    user_login_failed.send(
        sender=__name__, credentials=_credentials(user, factor), request=request
    )
    if getattr(request, "axes_locked_out", False):
        abandon_sign_in(request)


def locked_out(request: HttpRequest, user: User) -> bool:
    """True (and the request flagged for the lockout answer) when locked."""
    credentials = _credentials(user, "otp")
    if AxesProxyHandler.is_allowed(request, credentials):
        return False
    request.axes_locked_out = True
    request.axes_credentials = credentials
    abandon_sign_in(request)
    return True


def verify_second_factor(
    request: HttpRequest, user: User, token: str
) -> tuple[TOTPDevice | None, str]:
    """Check a one-time password against the user's confirmed devices.

    Returns (device, "ok"), or (None, one of "wrong", "throttled", "locked").
    django-otp slows repeated failures on a device (exponential back-off);
    axes counts each failure towards the lockout.
    """
    if locked_out(request, user):
        return None, "locked"
    token = "".join(token.split())
    throttled = False
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            allowed, _detail = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                return device, "ok"
    _record_failure(request, user, "otp")
    if getattr(request, "axes_locked_out", False):
        return None, "locked"
    return None, "throttled" if throttled else "wrong"


# --- Setting a device up ----------------------------------------------------------


def self_enrolment_allowed(user: User) -> bool:
    return bool(settings.OTP_SELF_ENROLMENT) and not has_device(user)


def enrolment_device(request: HttpRequest, user: User) -> TOTPDevice:
    """An unsaved device with the key offered on the set-up page.

    The key lives in the session until the user proves they hold it; only
    then is a device saved, so abandoned set-ups leave nothing behind.
    """
    key = request.session.get(ENROLMENT_SESSION_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[ENROLMENT_SESSION_KEY] = key
    return TOTPDevice(user=user, name="default", key=key, confirmed=False)


def enrol_device(
    request: HttpRequest, user: User, token: str
) -> tuple[TOTPDevice | None, str]:
    """Save the offered device if the code proves the user holds its key."""
    if locked_out(request, user):
        return None, "locked"
    device = enrolment_device(request, user)
    totp = TOTP(unhexlify(device.key), device.step, device.t0, device.digits)
    totp.time = time.time()
    try:
        matched = totp.verify(int("".join(token.split())), device.tolerance)
    except ValueError:
        matched = False
    if not matched:
        _record_failure(request, user, "otp_setup")
        if getattr(request, "axes_locked_out", False):
            return None, "locked"
        return None, "wrong"
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if has_device(user):
            return None, "exists"
        device.confirmed = True
        device.last_t = totp.t()
        device.full_clean()
        device.save(force_insert=True)
        audit.record(
            Event.LOGIN,
            actor=user,
            reason_code="otp_enrolled",
            object_type="otp_totp.totpdevice",
            object_id=device.pk,
        )
    request.session.pop(ENROLMENT_SESSION_KEY, None)
    return device, "ok"


# --- Preferences ---------------------------------------------------------------


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Store the user's language; it is applied on every request they make."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return user


# --- API tokens ------------------------------------------------------------------


def token_ref(token: AuthToken) -> str:
    """How the audit trail names a token: a prefix of its digest."""
    return token.digest[:16]


@transaction.atomic
def token_issue(*, user: User, otp_verified: bool) -> tuple[AuthToken, str]:
    """A new API token (only its digest is stored); the secret is returned once."""
    prefix = VERIFIED_TOKEN_PREFIX if otp_verified else PASSWORD_TOKEN_PREFIX
    instance, secret = AuthToken.objects.create(user=user, prefix=prefix)
    audit.record(
        Event.TOKEN_ISSUED,
        actor=user,
        reason_code="otp" if otp_verified else "password",
        object_type="knox.authtoken",
        object_id=token_ref(instance),
        extra={"expiry": instance.expiry.isoformat() if instance.expiry else None},
    )
    return instance, secret


@transaction.atomic
def token_revoke(*, user: User, token: AuthToken) -> None:
    ref = token_ref(token)
    AuthToken.objects.filter(digest=token.digest, user=user).delete()
    audit.record(
        Event.TOKEN_REVOKED, actor=user, object_type="knox.authtoken", object_id=ref
    )


@transaction.atomic
def token_revoke_all(*, user: User) -> int:
    count, _detail = AuthToken.objects.filter(user=user).delete()
    audit.record(
        Event.TOKEN_REVOKED,
        actor=user,
        reason_code="all",
        object_type="knox.authtoken",
        extra={"count": count},
    )
    return count


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, telling the gate how they were issued."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        verified = token.token_key.startswith(VERIFIED_TOKEN_PREFIX)
        user.otp_device = None
        user.is_verified = lambda: verified
        return user, token


# --- Lockout and its audit (django-axes) -----------------------------------------------


def lockout_username(request, credentials) -> str | None:
    """What axes stores and counts instead of the typed username: a keyed hash.

    To unlock someone: `manage.py axes_reset_username <hash>`, the hash being
    `lockout_username(None, {"username": "<their username>"})`.
    """
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = getattr(request, "POST", {}).get("username")
    if not username:
        return None
    digest = salted_hmac("nrm.auth.lockout_username", str(username), algorithm="sha256")
    return "h:" + digest.hexdigest()[:40]


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or as seen by our own proxies."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def _channel(request) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


def reset_lockout(request: HttpRequest, user: User) -> None:
    """After a complete sign-in that did not go through login() (tokens)."""
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.update_request(request)
        AxesProxyHandler.get_implementation().reset_user_attempts(
            request, {"username": user.get_username()}
        )


class AuditedAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, writing each sign-in event to the audit trail."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        username = (credentials or {}).get("username")
        actor = User.objects.filter(username=username).first() if username else None
        factor = str((credentials or {}).get("factor") or "password")
        extra = {"channel": _channel(request)}
        audit.record(Event.LOGIN_FAILED, actor=actor, reason_code=factor, extra=extra)
        if request is not None and getattr(request, "axes_locked_out", False):
            audit.record(Event.LOCKOUT, actor=actor, reason_code=factor, extra=extra)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        factor = "otp" if getattr(user, "otp_device", None) is not None else "password"
        audit.record(
            Event.LOGIN,
            actor=user,
            reason_code=factor,
            extra={"channel": _channel(request)},
        )

    def user_logged_out(self, sender, request, user, **kwargs):
        super().user_logged_out(sender, request, user, **kwargs)
        if user is not None:
            audit.record(Event.LOGOUT, actor=user, extra={"channel": _channel(request)})


# --- Password rules ----------------------------------------------------------------


class MaximumLengthValidator:
    """NIST SP 800-63B: allow long passphrases (at least 64), but bound them."""

    def __init__(self, max_length: int = 256):
        if max_length < 64:
            raise ValueError("NIST SP 800-63B: allow at least 64 characters")
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most "
                    "%(max_length)d character.",
                    "This password is too long. It must contain at most "
                    "%(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can contain up to %(max_length)d character.",
            "Your password can contain up to %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}
