"""The demo: it prints the address it serves and what each user can try,
has staff at the foreign contact point and the second reception centre, and
loads a synthetic history (through the caseload generator) whose ended
months are published, so the rapporteur's dashboard has charts at once."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from nrm.demo import TRY, USERS
from nrm.models import Membership
from referral.models import Case
from referral.models.statistics import ReleaseCounts

pytestmark = pytest.mark.django_db

PINNED = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.get_default_timezone())


def test_the_demo_prints_its_address_and_every_user_with_what_to_try(monkeypatch):
    monkeypatch.setenv("DEMO_ADDR", "0.0.0.0:8123")
    out = io.StringIO()
    with time_machine.travel(PINNED, tick=False):
        call_command("load_demo", "--history", "150", stdout=out)
    text = out.getvalue()
    assert "Sign in at http://0.0.0.0:8123/" in text
    assert "127.0.0.1:8000" not in text
    assert "demo_otp <user>" in text and "second terminal" in text
    for username, _role, _organisation in USERS:
        assert username in text
        assert TRY[username] in text
    where = set(Membership.objects.values_list("organisation__name", flat=True))
    assert {"Foreign NRM Contact Point", "South Reception Centre"} <= where
    # The history: past months only, published.
    assert Case.objects.count() > 150
    assert ReleaseCounts.objects.filter(year=2026, month=10).exists()
    assert not ReleaseCounts.objects.filter(year=2026, month=11).exists()
    again = io.StringIO()
    with time_machine.travel(PINNED, tick=False):
        call_command("load_demo", "--history", "150", stdout=again)
    assert "past cases created" not in again.getvalue()
