"""Helpers for the browser tests: screenshots and one-time codes."""

from __future__ import annotations

import time
from pathlib import Path

from django_otp.oath import TOTP

from nrm import services
from tests.support.auth import make_device

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


PASSWORD = "a-long-synthetic-browser-passphrase"  # noqa: S105 - test data


def code_for_key(bin_key: bytes, *, step_offset: int = 0) -> str:
    totp = TOTP(bin_key)
    totp.time = time.time() + step_offset * 30
    return str(totp.token()).zfill(6)


def screenshot(page, name: str, *, mask=()) -> None:
    """Saves docs/screenshots/<name>.png; masked parts (codes, keys) are
    painted over so the images hold no secret and stay the same run to run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"),
        full_page=True,
        animations="disabled",
        caret="hide",
        mask=list(mask),
        mask_color="#5a5f66",
    )


def staff(username: str, role: str, organisation, *, device: bool):
    user = services.user_create(username=username, password=PASSWORD)
    services.membership_create(user=user, organisation=organisation, role=role)
    return user, (make_device(user) if device else None)
