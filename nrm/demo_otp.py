"""Demo only: one-time password devices for the synthetic demo users.

Each demo user whose roles read personal data (and the demo administrator,
whom the admin site asks for one) gets a confirmed TOTP device named "demo"
with a fixed key derived from the username: the keys are printed, so anyone
running the demo can add them to an authenticator app, or run
`manage.py demo_otp <username>` for the current code. Never use in production:
these keys are public. Idempotent.
"""

from __future__ import annotations

import hashlib
from base64 import b32encode
from binascii import unhexlify

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.demo import USERS
from nrm.models import User
from nrm.roles import PERSONAL_DATA_ROLES, Role

DEVICE_NAME = "demo"


def demo_key(username: str) -> str:
    """The demo user's fixed TOTP key, hex (20 bytes). Public: demo only."""
    return hashlib.sha256(f"nrm-demo-otp:{username}".encode()).hexdigest()[:40]


def demo_key_base32(username: str) -> str:
    return b32encode(unhexlify(demo_key(username))).decode()


def demo_device(username: str) -> TOTPDevice | None:
    """The demo device of a demo user, only if it still has the demo key."""
    device = TOTPDevice.objects.filter(
        user__username=username, name=DEVICE_NAME, confirmed=True
    ).first()
    if device is None or device.key != demo_key(username):
        return None
    return device


def needs_one_time_password(username: str) -> bool:
    """Whether a demo user's roles ask for a one-time password (unknown users
    are assumed to: the command then says to load the demo)."""
    roles = {role for name, role, _organisation in USERS if name == username}
    return not roles or any(_role_needs_one(role) for role in roles)


def _role_needs_one(role: str) -> bool:
    return role in PERSONAL_DATA_ROLES or role == Role.ADMINISTRATOR


@transaction.atomic
def load_demo_otp(stdout=None) -> list[tuple[str, str]]:
    """Give the demo users their devices; print and return (username, key)."""
    keys: list[tuple[str, str]] = []
    for username, role, _organisation in USERS:
        if not _role_needs_one(role):
            continue
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        device, _created = TOTPDevice.objects.get_or_create(
            user=user,
            name=DEVICE_NAME,
            defaults={"key": demo_key(username), "confirmed": True},
        )
        if device.key != demo_key(username) or not device.confirmed:
            device.key = demo_key(username)
            device.confirmed = True
            device.save(update_fields=["key", "confirmed"])
        keys.append((username, demo_key_base32(username)))
    if stdout is not None:
        stdout.write(
            "\nOne-time passwords (demo keys, public: never use them for real "
            "accounts). Add a key to an authenticator app, or run "
            "`python manage.py demo_otp <user>` for the current code:"
        )
        for username, key in keys:
            stdout.write(f"  {username:<12} {key}")
    return keys
