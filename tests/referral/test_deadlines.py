"""Deadlines in working days, the overdue sweep and the outbox's delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from nrm.models import AuditEvent, CountryProfile, OutboxMessage
from nrm.outbox import deliver_pending
from referral.deadlines import add_working_days
from referral.models import Deadline
from tests.support.journeys import consent, refer, to_referral_pending

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-11-27T10:00", 5, "2026-12-04"),  # Friday + 5 working days
        ("2026-11-28T10:00", 1, "2026-11-30"),  # Saturday: Monday
        ("2026-12-23T10:00", 2, "2026-12-28"),  # over a public holiday
    ],
)
def test_working_days_follow_the_profile_calendar(start, days, due):
    profile = CountryProfile(country="XB", name="Test", public_holidays=["2026-12-25"])
    begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert add_working_days(begin, days, profile).date().isoformat() == due


@pytest.mark.django_db
def test_the_sweep_marks_overdue_work_once_and_notifies(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    refer(reception, case_id, mechanism.authority, "identification")
    OutboxMessage.objects.all().delete()
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        out = []
        call_command("sweep_deadlines", stdout=_Collect(out))
        assert "2 deadline(s) newly overdue" in out[0]
        call_command("sweep_deadlines", stdout=_Collect(out))
        assert "0 deadline(s)" in out[1]
    overdue = OutboxMessage.objects.filter(kind="deadline.overdue")
    assert overdue.count() == 2
    assert {m.organisation for m in overdue} == {mechanism.authority}
    assert AuditEvent.objects.filter(action="deadline.overdue").count() == 2
    assert Deadline.objects.filter(overdue_notified_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_the_outbox_delivers_by_mail_at_least_once_without_personal_data(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    refer(reception, case_id, mechanism.authority, "identification")
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True).count()
    assert pending >= 1
    assert deliver_pending() == pending
    assert deliver_pending() == 0
    assert len(mail.outbox) == pending
    message = mail.outbox[0]
    assert message.to == [mechanism.authority.email]
    assert "Testfamily" not in message.body and "Testgiven" not in message.body


@pytest.mark.django_db
def test_a_failed_delivery_is_kept_and_retried(mechanism, monkeypatch):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    refer(reception, case_id, mechanism.authority, "identification")

    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("nrm.outbox.send_mail", broken)
    assert deliver_pending() == 0
    failed = OutboxMessage.objects.get(kind="referral.received")
    assert (failed.attempts, failed.last_error, failed.delivered_at) == (
        1,
        "ConnectionError",
        None,
    )
    monkeypatch.undo()
    assert deliver_pending() >= 1
    failed.refresh_from_db()
    assert failed.delivered_at is not None and failed.attempts == 2


class _Collect:
    def __init__(self, sink: list):
        self.sink = sink

    def write(self, text):
        self.sink.append(text)

    def flush(self):
        pass
