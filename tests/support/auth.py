"""Signing users in for tests, through the real mechanism.

Every API view (`core.permissions.IsSignedIn`) and page
(`nrm.auth.staff_login_required`) requires a one-time password from users
whose roles read personal data, so `client.force_login(user)` alone, DRF's
`force_authenticate(user)` and `client.login(...)` do not get such a user in
(`client.login` even raises: axes needs the request). Use these instead:

    from tests.support.auth import signed_in

    def test_something(db):
        client = signed_in(APIClient(), user)    # or Django's Client()
        client.get("/api/v1/...")                # session, OTP-verified

`signed_in(client, user)` signs the user in with Django's `login()` (as the
sign-in page does; it writes the `auth.login` audit row) and, when the user
needs a second factor or has a device, marks the session verified by their
TOTP device exactly as django-otp's `login()` does, making a device with
`make_device` if they have none. Pass `otp=False` to leave the session
unverified (to test refusals). Returns the client. Unsafe requests still need
a CSRF token only if the client enforces CSRF checks (the test clients do not
by default).

    token = issue_token(APIClient(), user, password="...")   # real endpoint
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

`issue_token` goes through `POST /api/v1/auth/token/` with the current
one-time password of the user's device; `current_code(device)` gives a code.
"""

from __future__ import annotations

import json
import time

from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm import auth
from nrm.models import User

BACKEND = "django.contrib.auth.backends.ModelBackend"


def make_device(user: User, *, name: str = "test") -> TOTPDevice:
    """A confirmed TOTP device with a random key for `user`."""
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def device_of(user: User) -> TOTPDevice:
    """The user's first confirmed TOTP device, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    return device or make_device(user)


def current_code(device: TOTPDevice, *, step_offset: int = 0) -> str:
    """The device's code now (or `step_offset` 30-second steps from now).

    A code is accepted once: a second sign-in within the same 30 seconds needs
    `step_offset=1` (the next code, still inside the tolerance).
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step_offset * device.step
    return str(totp.token()).zfill(device.digits)


def unused_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (now, or the next step)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    offset = max(0, device.last_t + 1 - totp.t())
    if offset > device.tolerance:
        raise AssertionError("the device accepted its next codes already; wait 30 s")
    return current_code(device, step_offset=offset)


def signed_in(client, user: User, *, otp: bool | None = None):
    """Sign `user` in on a Django `Client` or DRF `APIClient`; see above."""
    if otp is None:
        otp = auth.second_factor_needed(user)
    client.force_login(user, backend=BACKEND)
    if otp:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device_of(user).persistent_id
        session.save()
    return client


def issue_token(client, user: User, *, password: str) -> str:
    """An API token through the real endpoint (with a one-time password when
    the user needs one); returns the secret for `Authorization: Token ...`."""
    payload = {"username": user.get_username(), "password": password}
    if auth.second_factor_needed(user):
        payload["otp_token"] = unused_code(device_of(user))
    response = client.post(
        reverse("v1:auth-token"), json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]
