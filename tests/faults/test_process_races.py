"""Races between processes: 50 clients at once against gunicorn with several
workers on loopback (each worker its own process and database connection).
Exactly one wins, the rest get 409, one audit event, consistent rows."""

from __future__ import annotations

import io
import threading
import uuid
from collections import Counter

import pytest
from django.core.management import call_command

from nrm import auth
from nrm.models import AuditEvent, IdempotencyKey, OutboxMessage
from referral.models import Case, Deadline, Referral
from tests.support.gunicorn import gunicorn
from tests.support.journeys import (
    consent,
    refer,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import Mechanism, person_payload

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 50
WORKERS = 4


def token_of(mechanism: Mechanism, username: str) -> str:
    return auth.token_issue(user=mechanism.user[username], otp_verified=True)[1]


def at_once(calls: list) -> list[tuple[int, object]]:
    """Run the calls in threads released together; their (status, body)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=60)
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(result is not None for result in results)
    return results


def chain_intact() -> bool:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return "intact" in out.getvalue()


@pytest.fixture
def server(transactional_db):
    """A fresh server per test. Between transactional tests the runner empties
    every table, content types and permissions included, and recreates them
    with new ids; a server kept across tests holds the old ids in its
    workers' ContentType cache, and guardian's grant on registration then
    finds no permission (an intermittent 500, depending on which worker
    answered first). Production never empties those tables."""
    with gunicorn(workers=WORKERS) as running:
        yield running


def test_fifty_processes_race_for_one_transition(server):
    mechanism = Mechanism()
    _, case_id = to_assessment(mechanism)
    token = token_of(mechanism, "reception")
    path = f"/api/v1/cases/{case_id}/transitions/suspend/"
    events = AuditEvent.objects.count()
    results = at_once(
        [
            lambda: server.request(
                "POST", path, {"reason": "contact_lost"}, token=token
            )
            for _ in range(ATTEMPTS)
        ]
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: ATTEMPTS - 1}, statuses
    assert all(body["code"] for status, body in results if status == 409)
    assert AuditEvent.objects.count() == events + 1
    assert (
        AuditEvent.objects.filter(
            case_id=case_id, action="case.transition", to_state="suspended"
        ).count()
        == 1
    )
    case = Case.objects.get(pk=case_id)
    assert (case.state, case.state_before_suspension) == ("suspended", "assessment")
    assert chain_intact()


def test_fifty_processes_race_to_accept_or_decline_one_referral(server):
    mechanism = Mechanism()
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    accept, decline = token_of(mechanism, "idworker"), token_of(mechanism, "decider")
    base = f"/api/v1/referrals/{referral['id']}"
    events, outbox = AuditEvent.objects.count(), OutboxMessage.objects.count()
    calls = []
    for n in range(ATTEMPTS):
        if n % 2:
            calls.append(
                lambda: (
                    "accept",
                    server.request("POST", f"{base}/accept/", {}, token=accept),
                )
            )
        else:
            calls.append(
                lambda: (
                    "decline",
                    server.request(
                        "POST",
                        f"{base}/decline/",
                        {"reason": "no_capacity"},
                        token=decline,
                    ),
                )
            )
    results = at_once(calls)
    statuses = Counter(status for _, (status, _) in results)
    assert statuses == {200: 1, 409: ATTEMPTS - 1}, statuses
    [winner] = [verb for verb, (status, _) in results if status == 200]
    answered = AuditEvent.objects.filter(
        object_id=referral["id"], action__in=["referral.accepted", "referral.declined"]
    )
    expected = {"accept": "referral.accepted", "decline": "referral.declined"}[winner]
    assert [e.action for e in answered] == [expected]
    stored = Referral.objects.get(pk=referral["id"])
    case = Case.objects.get(pk=case_id)
    if winner == "accept":
        assert (stored.state, case.state) == ("accepted", "assessment")
    else:
        assert (stored.state, case.state) == ("declined", "referral_pending")
    # One notification for the one answer; the answer deadline closed once.
    assert OutboxMessage.objects.count() == outbox + 1
    assert AuditEvent.objects.count() > events
    open_answer_deadlines = Deadline.objects.filter(
        referral_id=referral["id"],
        kind="referral_answer",
        met_at__isnull=True,
        cancelled_at__isnull=True,
    )
    assert not open_answer_deadlines.exists()
    # The receiving organisation sees the case only if it accepted.
    seen = mechanism.client("idworker").get(f"/api/v1/cases/{case_id}/").status_code
    assert seen == (200 if winner == "accept" else 404)
    assert chain_intact()


def test_fifty_retries_with_one_idempotency_key_register_one_person(server):
    mechanism = Mechanism()
    token = token_of(mechanism, "reception")
    payload, key = person_payload(), {"Idempotency-Key": str(uuid.uuid4())}
    cases = Case.objects.count()
    results = at_once(
        [
            lambda: server.request(
                "POST", "/api/v1/cases/", payload, token=token, headers=key
            )
            for _ in range(ATTEMPTS)
        ]
    )
    assert {status for status, _ in results} == {201}, (
        [body for status, body in results if status != 201][:3],
        server.output()[-3000:],
    )
    assert len({body["id"] for _, body in results}) == 1
    assert Case.objects.count() == cases + 1
    assert IdempotencyKey.objects.count() == 1
    assert chain_intact()
