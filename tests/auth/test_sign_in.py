"""Signing in on the pages: password, then the one-time password where needed."""

import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm import auth
from nrm.audit import Event
from nrm.models import AuditEvent
from tests.support.auth import current_code
from tests.support.sign_in import PASSWORD, sign_in_post

pytestmark = pytest.mark.django_db


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_password_only_role_signs_in_with_the_password(client, rapporteur):
    response = sign_in_post(client, "rapporteur1")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    [login] = events(Event.LOGIN)
    assert login.actor_id == rapporteur.pk
    assert login.reason_code == "password"


def test_personal_data_role_must_pass_the_one_time_password(client, caseworker):
    response = sign_in_post(client, "caseworker1")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/otp/")
    # Half the factors sign nobody in: the session holds a pending id only.
    assert "_auth_user_id" not in client.session
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"].startswith("/sign-in/")
    assert events(Event.LOGIN) == []

    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post("/sign-in/otp/", {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    [login] = events(Event.LOGIN)
    assert (login.actor_id, login.reason_code) == (caseworker.pk, "otp")


def test_wrong_one_time_password_is_refused_with_a_clear_message(client, caseworker):
    sign_in_post(client, "caseworker1")
    response = client.post("/sign-in/otp/", {"otp_token": "000000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="otp-error"' in page
    assert "That code is not correct or has expired" in page
    assert client.get("/").status_code == 302
    [failure] = events(Event.LOGIN_FAILED)
    assert (failure.actor_id, failure.reason_code) == (caseworker.pk, "otp")


def test_repeated_wrong_codes_are_slowed_down(client, caseworker):
    sign_in_post(client, "caseworker1")
    client.post("/sign-in/otp/", {"otp_token": "000000"})
    device = TOTPDevice.objects.get(user=caseworker)
    # django-otp's back-off: straight after a failure even the right code waits.
    response = client.post("/sign-in/otp/", {"otp_token": current_code(device)})
    assert response.status_code == 200
    assert "Wait a few seconds" in response.content.decode()


def test_a_code_is_accepted_once(caseworker):
    device = TOTPDevice.objects.get(user=caseworker)
    code = current_code(device)
    first, second = Client(), Client()
    sign_in_post(first, "caseworker1")
    assert first.post("/sign-in/otp/", {"otp_token": code}).status_code == 302
    sign_in_post(second, "caseworker1")
    assert second.post("/sign-in/otp/", {"otp_token": code}).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("caseworker1", "a-wrong-password-for-this-test"),
        ("nobody-of-that-name", PASSWORD),
        ("nobody-of-that-name", "a-wrong-password-for-this-test"),
    ],
    ids=["wrong-password", "unknown-user", "unknown-user-wrong-password"],
)
def test_unknown_user_and_wrong_password_answer_alike(
    client, caseworker, username, password
):
    response = sign_in_post(client, username, password)
    reference = sign_in_post(Client(), "caseworker1", "another-wrong-password-x")
    assert response.status_code == reference.status_code == 200
    message = "The username or password is not correct."
    assert message in response.content.decode()
    assert message in reference.content.decode()


def test_inactive_user_answers_like_a_wrong_password(client, rapporteur):
    rapporteur.is_active = False
    rapporteur.save(update_fields=["is_active"])
    response = sign_in_post(client, "rapporteur1")
    assert response.status_code == 200
    assert "The username or password is not correct." in response.content.decode()


def test_failed_sign_in_of_an_unknown_username_is_audited_without_it(client, db):
    typed = "Synthetic Typedname"
    sign_in_post(client, typed, "not-the-password-at-all")
    [failure] = events(Event.LOGIN_FAILED)
    assert failure.actor_id is None
    row = AuditEvent.objects.filter(pk=failure.pk).values().get()
    assert typed not in repr(row)
    assert typed.split()[1] not in repr(row)


def test_pending_sign_in_lapses_after_five_minutes(client, caseworker):
    sign_in_post(client, "caseworker1")
    session = client.session
    pending = session[auth.PENDING_SESSION_KEY]
    pending["at"] = int(time.time()) - auth.PENDING_SECONDS - 1
    session[auth.PENDING_SESSION_KEY] = pending
    session.save()
    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post("/sign-in/otp/", {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?")
    assert client.get("/").status_code == 302


def test_next_is_followed_on_this_site_only(client, rapporteur):
    response = sign_in_post(client, "rapporteur1", next="/statistics/")
    assert response["Location"] == "/statistics/"
    client.post("/sign-out/")
    response = sign_in_post(client, "rapporteur1", next="https://elsewhere.example/")
    assert response["Location"] == "/"


def test_sign_out_needs_a_post_and_is_audited(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    assert client.get("/sign-out/").status_code == 405
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert client.get("/").status_code == 302
    [logout] = events(Event.LOGOUT)
    assert logout.actor_id == rapporteur.pk
    follow = client.get("/sign-in/")
    assert "You have signed out." in follow.content.decode()


def test_new_user_sets_up_a_device_then_signs_in(client, newcomer):
    response = sign_in_post(client, "newcomer1")
    assert response["Location"].startswith("/sign-in/otp/setup/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, inline SVG
    device = auth.enrolment_device(_request_with(client), newcomer)

    wrong = client.post("/sign-in/otp/setup/", {"otp_token": "000000"})
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.filter(user=newcomer).exists()

    done = client.post("/sign-in/otp/setup/", {"otp_token": current_code(device)})
    assert done.status_code == 302
    saved = TOTPDevice.objects.get(user=newcomer)
    assert saved.confirmed and saved.key == device.key
    assert client.get("/").status_code == 200
    assert [e.reason_code for e in events(Event.LOGIN)] == ["otp_enrolled", "otp"]


def test_self_enrolment_can_be_switched_off(client, newcomer, settings):
    settings.OTP_SELF_ENROLMENT = False
    response = sign_in_post(client, "newcomer1")
    page = client.get(response["Location"])
    assert "Ask an administrator" in page.content.decode()
    assert (
        client.post("/sign-in/otp/setup/", {"otp_token": "123456"}).status_code == 200
    )
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_a_password_only_user_may_choose_a_device(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    assert "Set up one-time passwords" in client.get("/").content.decode()
    client.get("/sign-in/otp/setup/")
    device = auth.enrolment_device(_request_with(client), rapporteur)
    response = client.post("/sign-in/otp/setup/", {"otp_token": current_code(device)})
    assert response.status_code == 302
    client.post("/sign-out/")
    # From now on the password alone is not enough.
    response = sign_in_post(client, "rapporteur1")
    assert response["Location"].startswith("/sign-in/otp/")


def _request_with(client):
    """A request carrying the client's session, to read what it holds."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    return request
