"""Demo users get fixed, printed TOTP keys; the command prints the code."""

import io

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.demo import USERS, load_directory
from nrm.demo_otp import demo_key, demo_key_base32, load_demo_otp
from nrm.roles import PERSONAL_DATA_ROLES, Role

pytestmark = pytest.mark.django_db


def test_demo_devices_are_given_once_and_printed():
    load_directory()
    out = io.StringIO()
    keys = dict(load_demo_otp(out))
    load_demo_otp()
    expected = {
        name
        for name, role, _org in USERS
        if role in PERSONAL_DATA_ROLES or role == Role.ADMINISTRATOR
    }
    assert set(keys) == expected
    assert "rapporteur" not in keys
    assert TOTPDevice.objects.count() == len(expected)
    for name in expected:
        device = TOTPDevice.objects.get(user__username=name)
        assert device.confirmed and device.key == demo_key(name)
        assert keys[name] == demo_key_base32(name)
        assert demo_key_base32(name) in out.getvalue()


def test_demo_otp_prints_a_code_the_device_accepts():
    load_directory()
    load_demo_otp()
    out = io.StringIO()
    call_command("demo_otp", "caseworker", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert TOTPDevice.objects.get(user__username="caseworker").verify_token(code)


def test_demo_otp_never_prints_for_a_real_device():
    load_directory()
    load_demo_otp()
    TOTPDevice.objects.filter(user__username="caseworker").update(key="ab" * 20)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo_otp", "caseworker", stdout=io.StringIO())


def test_demo_otp_says_when_a_user_needs_no_one_time_password():
    load_directory()
    load_demo_otp()
    out = io.StringIO()
    call_command("demo_otp", "rapporteur", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == (
        "rapporteur needs no one-time password: sign in with the password only."
    )
