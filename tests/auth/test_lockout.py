"""Lockout after repeated failures (django-axes), audited, typed text kept out."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.audit import Event
from nrm.auth import lockout_username
from nrm.models import AuditEvent
from tests.support.auth import current_code
from tests.support.sign_in import sign_in_post

pytestmark = pytest.mark.django_db

WRONG = "a-wrong-password-for-this-test"


def fail(client, username, times):
    for _ in range(times):
        response = sign_in_post(client, username, WRONG)
    return response


def test_five_failures_lock_out_even_the_right_password(client, rapporteur):
    fourth = fail(client, "rapporteur1", 4)
    assert fourth.status_code == 200
    fifth = fail(client, "rapporteur1", 1)
    assert fifth.status_code == 429
    assert "Too many failed sign-in attempts" in fifth.content.decode()
    locked = sign_in_post(client, "rapporteur1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action=Event.LOGIN_FAILED)
    assert failures.count() == 6
    assert set(failures.values_list("actor_id", flat=True)) == {rapporteur.pk}
    lockouts = AuditEvent.objects.filter(action=Event.LOCKOUT)
    assert lockouts.count() == 2
    assert set(lockouts.values_list("actor_id", flat=True)) == {rapporteur.pk}


def test_the_lock_lifts_after_the_cool_off(client, rapporteur):
    fail(client, "rapporteur1", 5)
    assert sign_in_post(client, "rapporteur1").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    response = sign_in_post(client, "rapporteur1")
    assert response.status_code == 302
    # A successful sign-in clears the count.
    assert AccessAttempt.objects.count() == 0


def test_the_lock_is_for_the_username_from_that_address_only(client, rapporteur):
    fail(client, "rapporteur1", 5)
    elsewhere = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in_post(elsewhere, "rapporteur1").status_code == 302


def test_unknown_usernames_lock_out_alike(client, db):
    assert fail(client, "nobody-of-that-name", 5).status_code == 429


def test_wrong_one_time_passwords_count_towards_the_lockout(client, caseworker):
    device = TOTPDevice.objects.get(user=caseworker)
    fail(client, "caseworker1", 3)
    sign_in_post(client, "caseworker1")
    # Throttling aside (no wait between codes here), each wrong code counts.
    client.post("/sign-in/otp/", {"otp_token": "000000"})
    locked = client.post("/sign-in/otp/", {"otp_token": "000000"})
    assert locked.status_code == 429
    # The pending sign-in is gone: even the right code now starts over.
    again = client.post("/sign-in/otp/", {"otp_token": current_code(device)})
    assert again.status_code == 302
    assert again["Location"].startswith("/sign-in/?")
    assert sign_in_post(client, "caseworker1").status_code == 429
    reasons = list(
        AuditEvent.objects.filter(action=Event.LOGIN_FAILED).values_list(
            "reason_code", flat=True
        )
    )
    assert reasons[:5] == ["password"] * 3 + ["otp"] * 2


def test_axes_stores_a_keyed_hash_never_the_typed_username(client, db):
    typed = "Synthetic Mistypedname"
    fail(client, typed, 2)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == lockout_username(None, {"username": typed})
    assert attempt.username.startswith("h:")
    stored = repr(AccessAttempt.objects.values().get())
    assert "Mistypedname" not in stored
    assert WRONG not in stored
    audit = repr(list(AuditEvent.objects.values()))
    assert "Mistypedname" not in audit
