"""Idempotent writes: a POST retried with the same Idempotency-Key gets the
first answer without a second effect (nrm/idempotency.py)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from nrm import auth
from nrm.models import AuditEvent, IdempotencyKey
from referral.models import Case
from tests.support.auth import signed_in
from tests.support.journeys import (
    answer,
    consent,
    decide,
    refer,
    screen,
    step,
    to_referral_pending,
)
from tests.support.mechanism import person_payload, presumed_adult_codes

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def register(client, payload, key):
    return post(client, "/api/v1/cases/", payload, key)


@time_machine.travel(NOW, tick=False)
def test_a_retried_registration_returns_the_first_answer_once(mechanism):
    reception = mechanism.client("reception")
    key, payload = str(uuid.uuid4()), person_payload()
    first = register(reception, payload, key)
    assert first.status_code == 201
    events = AuditEvent.objects.count()
    assert "Idempotent-Replayed" not in first.headers
    again = register(reception, payload, key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    assert AuditEvent.objects.count() == events
    # Only digests and the (non-personal) answer are kept.
    [record] = IdempotencyKey.objects.all()
    stored = repr(IdempotencyKey.objects.values().get())
    for value in (
        key,
        payload["given_names"],
        payload["family_name"],
        payload["date_of_birth"],
        payload["notes"],
    ):
        assert value not in stored
    assert record.status == 201 and record.user == mechanism.user["reception"]
    assert not AuditEvent.objects.filter(action="person.read").exists()


@time_machine.travel(NOW, tick=False)
def test_a_retried_transition_is_not_a_conflict_and_has_one_effect(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    path = f"/api/v1/cases/{case_id}/transitions/suspend/"
    key = str(uuid.uuid4())
    first = post(reception, path, {"reason": "contact_lost"}, key)
    assert first.status_code == 200
    again = post(reception, path, {"reason": "contact_lost"}, key)
    assert again.status_code == 200 and again.json() == first.json()
    assert AuditEvent.objects.filter(case_id=case_id, to_state="suspended").count() == 1
    # Without a key, the same request is a new one: a 409 now.
    assert (
        reception.post(path, {"reason": "contact_lost"}, format="json").status_code
        == 409
    )


@time_machine.travel(NOW, tick=False)
def test_the_same_key_with_another_body_is_a_422_with_no_effect(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    key = str(uuid.uuid4())
    assert register(reception, person_payload(), key).status_code == 201
    cases = Case.objects.count()
    other = register(reception, person_payload(), key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "another request" in other.json()["message"]
    # Another path with the same key is another request too.
    path = f"/api/v1/cases/{case_id}/transitions/suspend/"
    assert post(reception, path, {"reason": "contact_lost"}, key).status_code == 422
    assert Case.objects.count() == cases
    assert Case.objects.get(pk=case_id).state == "referral_pending"


@time_machine.travel(NOW, tick=False)
def test_keys_are_per_user(mechanism):
    key = str(uuid.uuid4())
    north = mechanism.client("reception")
    south = mechanism.client("south_reception")
    payload = person_payload()
    assert register(north, payload, key).status_code == 201
    answer = register(south, payload, key)
    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer.headers
    assert Case.objects.count() == 2


def test_keys_expire(mechanism, settings):
    settings.IDEMPOTENCY_KEY_TTL_SECONDS = 600
    reception = mechanism.client("reception")
    key, payload = str(uuid.uuid4()), person_payload()
    with time_machine.travel(NOW, tick=False):
        assert register(reception, payload, key).status_code == 201
    with time_machine.travel(NOW + timedelta(minutes=9), tick=False):
        assert register(reception, payload, key).headers["Idempotent-Replayed"]
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        later = register(reception, payload, key)
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later.headers
    assert Case.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_expired_keys_of_every_user_are_purged(mechanism, settings):
    settings.IDEMPOTENCY_KEY_TTL_SECONDS = 600
    with time_machine.travel(NOW, tick=False):
        for username in ("reception", "south_reception"):
            client = mechanism.client(username)
            register(client, person_payload(), str(uuid.uuid4()))
    out = io.StringIO()
    with time_machine.travel(NOW + timedelta(minutes=9), tick=False):
        call_command("purge_idempotency_keys", stdout=out)
    assert IdempotencyKey.objects.count() == 2
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        call_command("purge_idempotency_keys", stdout=out)
    assert not IdempotencyKey.objects.exists()
    assert "2 expired idempotency keys deleted" in out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_api_token_bearers_get_the_same_guarantee(mechanism):
    _, secret = auth.token_issue(user=mechanism.user["reception"], otp_verified=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    key, payload = str(uuid.uuid4()), person_payload()
    assert register(client, payload, key).status_code == 201
    assert register(client, payload, key).headers["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_refusals_are_kept_as_the_first_answer_too(mechanism):
    """A 4xx is an answer: the retry gets it again (and nothing was written)."""
    rapporteur = mechanism.client("rapporteur")
    key, payload = str(uuid.uuid4()), person_payload()
    first = register(rapporteur, payload, key)
    assert first.status_code == 403
    again = register(rapporteur, payload, key)
    assert again.status_code == 403 and again.headers["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 0


@pytest.mark.parametrize("key", ["", "a" * 256, "two words", "é"])
def test_a_malformed_key_is_a_400(mechanism, key):
    reception = mechanism.client("reception")
    response = register(reception, person_payload(), key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert Case.objects.count() == 0


def test_a_key_without_a_caller_changes_nothing(db):
    response = post(APIClient(), "/api/v1/cases/", {}, str(uuid.uuid4()))
    assert response.status_code in (401, 403)
    assert not IdempotencyKey.objects.exists()


def test_the_schema_documents_the_header_on_every_post(mechanism):
    response = mechanism.client("rapporteur").get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    posts = [item["post"] for item in paths.values() if "post" in item]
    assert len(posts) > 10
    for operation in posts:
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in headers, operation["operationId"]
        assert "422" in operation["responses"]
    gets = [item["get"] for item in paths.values() if "get" in item]
    assert all(
        "Idempotency-Key" not in [p["name"] for p in op.get("parameters", [])]
        for op in gets
    )


class KeyedClient(APIClient):
    """Sends every POST with a fresh Idempotency-Key, as a careful client does."""

    def post(self, *args, **kwargs):
        kwargs.setdefault("HTTP_IDEMPOTENCY_KEY", str(uuid.uuid4()))
        return super().post(*args, **kwargs)


@time_machine.travel(NOW, tick=False)
def test_no_kept_answer_of_a_whole_journey_holds_personal_data(mechanism):
    """The kept answers are write responses, and those decrypt nothing: no
    read event, and no submitted personal value in the table."""

    def client(username):
        return signed_in(KeyedClient(), mechanism.user[username])

    reception, payload = client("reception"), person_payload()
    response = reception.post("/api/v1/cases/", payload, format="json")
    case_id = response.json()["id"]
    screen(reception, case_id, presumed_adult_codes())
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    answer(client("idworker"), referral["id"], "accept")
    decide(client("decider"), case_id, "reasonable_grounds", True)
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    # Seven writes, and the rights information that consent needs first.
    assert IdempotencyKey.objects.count() == 8
    kept = " ".join(
        bytes(body).decode()
        for body in IdempotencyKey.objects.values_list("body", flat=True)
    )
    for value in (
        payload["given_names"],
        payload["family_name"],
        payload["notes"],
        payload["date_of_birth"],
        "Synthetic interview note.",
        "Synthetic reasons.",
    ):
        assert value not in kept
    assert not AuditEvent.objects.filter(action="person.read").exists()
