"""The database connection dies in the middle of a step: nothing half-written,
a clear 503, and the next request succeeds on the same server process.

The service runs under gunicorn (one worker, persistent connections, as in
production). A trigger made for the test holds the worker's transaction at a
chosen point of `referral_send` (after the case's state change, after the
audit insert, after the outbox insert) in `pg_sleep`; the test finds that
backend from its own connection and ends it with `pg_terminate_backend`.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg2
import pytest
from django.db import connection

from nrm import auth
from nrm.models import AuditChainHead, AuditEvent, OutboxMessage
from referral.models import Case, Deadline, Referral
from tests.support.gunicorn import gunicorn
from tests.support.journeys import consent, to_referral_pending
from tests.support.mechanism import Mechanism

pytestmark = pytest.mark.django_db(transaction=True)

PAUSE = """
CREATE OR REPLACE FUNCTION nrm_test_pause() RETURNS trigger AS $$
BEGIN
    PERFORM pg_sleep(60);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER nrm_test_pause AFTER {event} ON {table}
    FOR EACH ROW EXECUTE FUNCTION nrm_test_pause();
"""
UNPAUSE = """
DROP TRIGGER IF EXISTS nrm_test_pause ON {table};
DROP FUNCTION IF EXISTS nrm_test_pause();
"""
POINTS = {
    "after-the-state-change": ("UPDATE", "referral_case"),
    "after-the-audit-insert": ("INSERT", "nrm_auditevent"),
    "after-the-outbox-insert": ("INSERT", "nrm_outboxmessage"),
}


def snapshot(case_id) -> dict:
    head = AuditChainHead.objects.get(pk=1)
    return {
        "case": Case.objects.filter(pk=case_id)
        .values("state", "state_changed_at")
        .get(),
        "referrals": Referral.objects.filter(case_id=case_id).count(),
        "events": AuditEvent.objects.count(),
        "head": (head.last_id, head.last_hash),
        "deadlines": list(Deadline.objects.order_by("pk").values_list("pk", flat=True)),
        "outbox": OutboxMessage.objects.count(),
    }


def terminate_paused_backend(timeout: float = 60) -> int:
    """From this test's connection: end the backend that sleeps in the trigger."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()"
            )
            row = cur.fetchone()
            if row:
                cur.execute("SELECT pg_terminate_backend(%s, 10000)", [row[0]])
                assert cur.fetchone()[0] is True
                return row[0]
            time.sleep(0.05)
    raise AssertionError("no backend paused in the trigger")


@pytest.fixture
def pending_case():
    mechanism = Mechanism()
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    _, token = auth.token_issue(user=mechanism.user["reception"], otp_verified=True)
    return mechanism, case_id, token


@pytest.mark.parametrize("point", list(POINTS))
def test_a_killed_connection_inside_a_step_leaves_no_partial_write(pending_case, point):
    mechanism, case_id, token = pending_case
    event, table = POINTS[point]
    path = f"/api/v1/cases/{case_id}/transitions/send-referral/"
    body = {
        "to_organisation_id": str(mechanism.authority.pk),
        "purpose": "identification",
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with gunicorn(workers=1) as server:
        # A first request so the worker holds a persistent connection.
        assert server.request("GET", f"/api/v1/cases/{case_id}/", token=token)[0] == 200
        before = snapshot(case_id)
        with connection.cursor() as cur:
            cur.execute(PAUSE.format(event=event, table=table))
        answers = []
        try:
            sender = threading.Thread(
                target=lambda: answers.append(
                    server.request("POST", path, body, token=token, headers=key)
                )
            )
            sender.start()
            terminate_paused_backend()
            sender.join(timeout=60)
        finally:
            with connection.cursor() as cur:
                cur.execute(UNPAUSE.format(table=table))
        [(status, answer)] = answers
        assert status == 503, answer
        assert answer["code"] == "unavailable"
        assert snapshot(case_id) == before
        # The same worker, no restart: the retry (same key) runs afresh.
        status, answer = server.request("POST", path, body, token=token, headers=key)
        assert status == 200, answer
        assert server.process.poll() is None
        assert "Traceback" not in server.output()
    assert Case.objects.get(pk=case_id).state == "referred"
    after = snapshot(case_id)
    assert after["referrals"] == before["referrals"] + 1
    assert after["outbox"] > before["outbox"]
    assert len(after["deadlines"]) > len(before["deadlines"])


def test_healthz_is_503_while_the_database_is_unreachable_and_200_when_back(db):
    # Connections to the test database are refused (ALLOW_CONNECTIONS false,
    # set from the server's maintenance database) and the worker's is killed.
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    with gunicorn(workers=1) as server:
        healthy = (200, {"status": "ok", "database": "up"})
        assert server.request("GET", "/healthz") == healthy
        try:
            with admin.cursor() as cur:
                cur.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
                cur.execute(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE datname = %s",
                    [connection.settings_dict["NAME"]],
                )
            for _ in range(3):
                status, body = server.request("GET", "/healthz")
                assert (status, body["database"]) == (503, "down")
        finally:
            with admin.cursor() as cur:
                cur.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
            admin.close()
        assert server.request("GET", "/healthz") == healthy
        assert server.process.poll() is None
    connection.close()  # this test's own connection was ended too
