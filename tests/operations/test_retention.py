"""`manage.py apply_retention`: people whose cases all ended longer ago than
the profile's periods are crypto-shredded and their sealed values removed;
nobody else is touched; the statistics of past periods do not change; a run
can be cut short and resumed. Synthetic people, a pinned clock."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from nrm import audit
from nrm.models import AuditEvent, OutboxMessage
from referral import caseload
from referral.backups import needles
from referral.models import Case, Person, Screening
from tests.operations.statistics_snapshot import past_period_statistics
from tests.support.journeys import register, screen, step, to_assessment
from tests.support.mechanism import Mechanism, person_payload

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
IN_2019 = datetime(2019, 3, 4, 10, 0, tzinfo=UTC)
IN_2025 = datetime(2025, 1, 10, 10, 0, tzinfo=UTC)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("apply_retention", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def pg_dump() -> bytes:
    db = connection.settings_dict
    command = ["pg_dump", "--no-password", "--format=plain", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, env=env, check=True).stdout


def ciphertexts(person_id) -> list[bytes]:
    person = Person.objects.get(pk=person_id)
    blobs = [bytes(person.given_names_sealed), bytes(person.family_name_sealed)]
    blobs += [
        bytes(s.notes_sealed) for s in Screening.objects.filter(case__person=person)
    ]
    return [b.hex().encode() for b in blobs if b]


@pytest.fixture
def people():
    """Who is who: two people past their period (one ended without
    identification in 2019, one closed in 2019 after assessment), one whose
    case closed in 2025 and one with an open case, plus a bulk caseload of
    2017-2020 without personal data."""
    with time_machine.travel(NOW):
        mechanism = Mechanism()
    payloads, ids = {}, {}
    with time_machine.travel(IN_2019):
        reception = mechanism.client("reception")
        payloads["refused"] = person_payload()
        case = register(reception, payloads["refused"])
        screen(reception, case["id"], [])
        step(reception, case["id"], "close", {"reason": "no_indicators"})
        ids["refused"] = case["id"]
        reception, case_id = to_assessment(mechanism)
        # The authority decides first: then the case may close.
        step(
            mechanism.client("decider"),
            case_id,
            "decide-reasonable-grounds",
            {"positive": True, "reasons": "Synthetic reasons."},
        )
        step(reception, case_id, "close", {"reason": "durable_solution"})
        ids["closed"] = case_id
        payloads["recent"] = person_payload()
        ids["recent"] = register(reception, payloads["recent"])["id"]
    with time_machine.travel(IN_2025):
        screen(mechanism.client("reception"), ids["recent"], [])
        step(
            mechanism.client("reception"),
            ids["recent"],
            "close",
            {"reason": "no_indicators"},
        )
    with time_machine.travel(NOW):
        payloads["open"] = person_payload()
        ids["open"] = register(mechanism.client("reception"), payloads["open"])["id"]
        caseload.generate(
            150, seed=11, start=date(2017, 1, 1), end=datetime(2020, 12, 31, tzinfo=UTC)
        )
    person_of = {k: Case.objects.get(pk=v).person_id for k, v in ids.items()}
    return payloads, person_of


def test_retention_erases_who_is_due_and_leaves_statistics_unchanged(people):
    payloads, person_of = people
    with time_machine.travel(NOW):
        before = {p: past_period_statistics(p) for p in ("2019", "2020")}
        old_ciphertexts = ciphertexts(person_of["refused"]) + ciphertexts(
            person_of["closed"]
        )
        kept_ciphertexts = ciphertexts(person_of["open"])
        outbox_before = OutboxMessage.objects.count()

        out, _ = run("--dry-run")
        assert "nothing is changed" in out
        for key in ("refused", "closed"):
            assert str(person_of[key]) in out
        for key in ("recent", "open"):
            assert str(person_of[key]) not in out
        assert "rule refused" in out and "rule closed" in out
        assert not Person.objects.filter(erased_at__isnull=False).exists()
        due = int(out.split("people due for erasure: ")[1].split()[0])
        assert due > 2  # and some of the bulk caseload

        # Cut short after one person; the next run carries on.
        out, _ = run("--limit", "1", "--no-progress")
        assert "people erased: 1" in out and "run again to carry on" in out
        out, err = run()
        assert f"people erased: {due - 1}" in out and "people still due: 0" in out
        assert "erasing" in err and "100%" in err  # the progress bar
        assert "people erased: 0" in run("--no-progress")[0]

        after = {p: past_period_statistics(p) for p in ("2019", "2020")}
    assert after == before

    for key in ("refused", "closed"):
        person = Person.objects.with_keys().get(pk=person_of[key])
        assert person.is_erased and person.data_key.wrapped is None
        assert bytes(person.given_names_sealed) == b""
        assert (person.sex, person.age_group) == ("female", "25-34")
        assert AuditEvent.objects.filter(
            action="person.erased", object_id=str(person.pk), reason_code="retention"
        ).exists()
    for key in ("recent", "open"):
        person = Person.objects.with_keys().get(pk=person_of[key])
        assert person.family_name == payloads[key]["family_name"]
    assert OutboxMessage.objects.count() == outbox_before  # none delivered yet
    assert AuditEvent.objects.filter(action="retention.applied").count() == 3
    assert list(audit.verify()) == []

    dump = pg_dump()
    values = [
        payloads[who][field]
        for who in ("refused", "closed")
        if who in payloads
        for field in ("given_names", "family_name", "notes")
    ]
    assert [n for n in needles(values) if n in dump] == []
    assert [c for c in old_ciphertexts if c in dump] == []
    assert all(c in dump for c in kept_ciphertexts)


def test_delivered_notifications_are_deleted_after_their_period():
    with time_machine.travel(IN_2025):
        mechanism = Mechanism()
        to_assessment(mechanism)
        call_command("deliver_outbox", stdout=io.StringIO())
        delivered = OutboxMessage.objects.count()
    with time_machine.travel(NOW):
        to_assessment(mechanism)
        pending = OutboxMessage.objects.filter(delivered_at__isnull=True).count()
        out, _ = run("--no-progress")
    assert f"delivered notifications deleted: {delivered}" in out
    assert OutboxMessage.objects.count() == pending


def test_as_of_plans_ahead_and_only_in_a_dry_run(people):
    payloads, person_of = people
    with time_machine.travel(NOW):
        out, _ = run("--dry-run", "--as-of", "2018-06-01")
        assert "people due for erasure: 0" in out
        out, _ = run("--dry-run", "--as-of", "2030-01-01")
        assert str(person_of["recent"]) in out  # closed in 2025: due by 2030
        assert str(person_of["open"]) not in out
        with pytest.raises(CommandError):
            run("--as-of", "2030-01-01")
    assert not Person.objects.filter(erased_at__isnull=False).exists()
