"""The periodic jobs, as the systemd timers start them, are safe on several
servers at once: two processes of each run side by side over the same rows,
and every deadline is marked and notified once, every message delivered once
(SKIP LOCKED); a row another worker holds is skipped, not the whole run
(the lock covers the job's own rows, not the organisation's)."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.utils import timezone

from nrm import outbox
from nrm.models import AuditEvent, Organisation, OutboxMessage
from referral.models import Deadline
from tests.deploy.support import production_env, start_manage
from tests.referral.conftest import Mechanism
from tests.referral.test_journeys import to_assessment

pytestmark = pytest.mark.django_db(transaction=True)


def run_side_by_side(command: str, *, processes: int = 2) -> list[int]:
    """Start `processes` runs of `command` at once; the count each reports."""
    env = production_env()
    started = [start_manage(command, env=env) for _ in range(processes)]
    counts = []
    for process in started:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        # The command's own last line ("N notification(s) delivered.", "N
        # deadline(s) newly overdue ..."); mail bodies come before it.
        last = out.strip().splitlines()[-1]
        found = re.match(r"(\d+) ", last)
        assert found, f"{command}: unexpected last line {last[:200]!r}"
        counts.append(int(found.group(1)))
    return counts


def test_two_sweeps_at_once_mark_each_overdue_deadline_once():
    mechanism = Mechanism()
    for _ in range(3):
        to_assessment(mechanism)
    # Make all open deadlines overdue (the sweep compares with the real clock).
    due = Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True)
    due.update(due_at=timezone.now() - timezone.timedelta(days=1))
    expected = set(due.values_list("pk", flat=True))
    assert len(expected) >= 3

    counts = run_side_by_side("sweep_deadlines")

    assert sum(counts) == len(expected)
    events = AuditEvent.objects.filter(action="deadline.overdue")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in expected
    )
    notices = OutboxMessage.objects.filter(kind="deadline.overdue")
    assert sorted(notices.values_list("payload__deadline_id", flat=True)) == sorted(
        str(pk) for pk in expected
    )
    assert run_side_by_side("sweep_deadlines") == [0, 0]


def test_two_deliveries_at_once_send_each_message_once():
    mechanism = Mechanism()
    with transaction.atomic():
        for n in range(60):
            outbox.enqueue(
                "deadline.overdue", organisation=mechanism.authority, deadline_id=n
            )
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True).count()

    counts = run_side_by_side("deliver_outbox")

    rows = list(OutboxMessage.objects.values_list("attempts", "last_error"))
    assert sum(counts) == pending, (counts, pending, sorted(set(rows)))
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    assert {attempts for attempts, _ in rows} == {1}


@contextmanager
def held_elsewhere(row, organisation_id):
    """Another connection holds `row` and the organisation's row, as another
    worker or an edit of the organisation would, until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                type(row).objects.select_for_update().get(pk=row.pk)
                # What an UPDATE of the organisation takes (FOR NO KEY UPDATE).
                Organisation.objects.select_for_update(no_key=True).get(
                    pk=organisation_id
                )
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def test_a_held_message_does_not_stop_the_delivery_of_the_others():
    mechanism = Mechanism()
    with transaction.atomic():
        for n in range(5):
            outbox.enqueue(
                "deadline.overdue", organisation=mechanism.authority, deadline_id=n
            )
    undelivered = OutboxMessage.objects.filter(delivered_at__isnull=True)
    held = undelivered.earliest("created_at")
    pending = undelivered.count()
    with held_elsewhere(held, held.organisation_id):
        assert run_side_by_side("deliver_outbox", processes=1) == [pending - 1]
    assert list(undelivered.values_list("pk", flat=True)) == [held.pk]


def test_a_held_deadline_does_not_stop_the_sweep_of_the_others():
    mechanism = Mechanism()
    for _ in range(2):
        to_assessment(mechanism)
    due = Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True)
    due.update(due_at=timezone.now() - timezone.timedelta(days=1))
    held = due.earliest("due_at")
    total = due.count()
    with held_elsewhere(held, held.organisation_id):
        assert run_side_by_side("sweep_deadlines", processes=1) == [total - 1]
    assert list(
        due.filter(overdue_notified_at__isnull=True).values_list("pk", flat=True)
    ) == [held.pk]
