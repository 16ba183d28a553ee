"""API tokens (knox): issued after the one-time password, hashed, expiring,
revocable, audited."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from nrm import services
from nrm.audit import Event
from nrm.auth import PASSWORD_TOKEN_PREFIX, VERIFIED_TOKEN_PREFIX
from nrm.models import AuditEvent
from nrm.roles import Role
from tests.auth.conftest import PASSWORD
from tests.support.auth import current_code, issue_token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"


def post_token(client, **payload):
    return client.post(TOKEN_URL, json.dumps(payload), content_type="application/json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_password_only_role_gets_a_token_with_the_password(rapporteur):
    response = post_token(APIClient(), username="rapporteur1", password=PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["otp_verified"] is False
    assert body["token"].startswith(PASSWORD_TOKEN_PREFIX)
    me = bearer(body["token"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == "rapporteur1"


def test_personal_data_role_needs_the_one_time_password(caseworker):
    client = APIClient()
    missing = post_token(client, username="caseworker1", password=PASSWORD)
    assert missing.status_code == 400
    assert missing.json()["code"] == "otp_required"
    wrong = post_token(
        client, username="caseworker1", password=PASSWORD, otp_token="000000"
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_otp"
    assert not AuthToken.objects.exists()


def test_token_after_the_one_time_password_passes_the_gate(caseworker):
    device = TOTPDevice.objects.get(user=caseworker)
    response = post_token(
        APIClient(),
        username="caseworker1",
        password=PASSWORD,
        otp_token=current_code(device),
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith(VERIFIED_TOKEN_PREFIX)
    me = bearer(token).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["otp_verified"] is True
    [issued] = AuditEvent.objects.filter(action=Event.TOKEN_ISSUED)
    assert (issued.actor_id, issued.reason_code) == (caseworker.pk, "otp")


def test_tokens_are_stored_as_a_digest_only(rapporteur):
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    stored = AuthToken.objects.get()
    assert token not in repr(AuthToken.objects.values().get())
    assert stored.digest != token
    assert len(stored.digest) == 128  # SHA-512


def test_tokens_expire_after_the_configured_time(rapporteur, settings):
    before = timezone.now()
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    stored = AuthToken.objects.get()
    assert stored.expiry - before == pytest.approx(
        timedelta(hours=8), abs=timedelta(seconds=30)
    )
    # Time passes (in the database, not by sleeping).
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = bearer(token).get(ME_URL)
    assert response.status_code == 401
    assert not AuthToken.objects.exists()  # knox removes it


def test_revoking_a_token_ends_it(rapporteur):
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    client = bearer(token)
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    assert client.get(ME_URL).status_code == 401
    [revoked] = AuditEvent.objects.filter(action=Event.TOKEN_REVOKED)
    assert revoked.actor_id == rapporteur.pk


def test_revoke_all_ends_every_token_of_the_user(rapporteur, caseworker):
    first = issue_token(APIClient(), rapporteur, password=PASSWORD)
    second = issue_token(APIClient(), rapporteur, password=PASSWORD)
    other = issue_token(APIClient(), caseworker, password=PASSWORD)
    assert bearer(first).post("/api/v1/auth/token/revoke-all/").status_code == 204
    assert bearer(first).get(ME_URL).status_code == 401
    assert bearer(second).get(ME_URL).status_code == 401
    assert bearer(other).get(ME_URL).status_code == 200
    [revoked] = AuditEvent.objects.filter(action=Event.TOKEN_REVOKED)
    assert revoked.extra == {"count": 2}


def test_revoke_needs_a_token():
    assert APIClient().post("/api/v1/auth/token/revoke/").status_code == 401


def test_password_only_token_stops_passing_when_a_personal_data_role_arrives(
    rapporteur, organisation
):
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    services.membership_create(
        user=rapporteur, organisation=organisation, role=Role.SUPERVISOR
    )
    response = bearer(token).get(ME_URL)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("username", "password"),
    [("rapporteur1", "a-wrong-password-x"), ("nobody-of-that-name", PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_unknown_user_and_wrong_password_answer_alike(rapporteur, username, password):
    response = post_token(APIClient(), username=username, password=password)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "The username or password is not correct.",
        "detail": None,
    }


def test_token_endpoint_locks_out_like_the_pages(rapporteur):
    client = APIClient()
    for _ in range(5):
        response = post_token(client, username="rapporteur1", password="wrong-pw-x")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    locked = post_token(client, username="rapporteur1", password=PASSWORD)
    assert locked.status_code == 429
    assert not AuthToken.objects.exists()


def test_the_token_response_is_never_cached(rapporteur):
    response = post_token(APIClient(), username="rapporteur1", password=PASSWORD)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
