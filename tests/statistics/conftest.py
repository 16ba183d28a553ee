"""A synthetic caseload shared by the statistics tests of a module, generated
and published with the clock pinned to each of several dates (the first and
last days of a month, a quarter and a year), so the suite means the same on
any day it runs.

The caseload is created once per test module and date inside a transaction
that is rolled back afterwards, so other tests never see it; each test runs
in a savepoint inside it.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from nrm import services as nrm_services
from nrm.demo import load_directory
from nrm.models import Organisation, User
from nrm.roles import Role
from referral import caseload
from referral.statistics import releases

CASELOAD = 1500
PINNED_DAYS = (
    date(2026, 1, 1),  # first day of a year, a quarter and a month
    date(2026, 6, 30),  # last day of a quarter and a month
    date(2025, 12, 31),  # last day of a year
)


class Caseload:
    def __init__(self, count: int, today: date):
        load_directory()
        self.today = today
        self.org = {o.name: o for o in Organisation.objects.all()}
        self.summary = caseload.generate(
            count, seed=7, start=date(today.year - 2, 1, 1)
        )
        self.published = releases.publish_due(today=today)
        self.users: dict[str, User] = {u.username: u for u in User.objects.all()}

    def add_user(self, username: str, role: str, organisation: Organisation) -> User:
        user = nrm_services.user_create(
            username=username, password="a-long-test-password-1234"
        )
        nrm_services.membership_create(user=user, organisation=organisation, role=role)
        self.users[username] = user
        return user


def pinned(day: date):
    """The clock at noon of `day` in the mechanism's time zone, standing still."""
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    return time_machine.travel(moment, tick=False)


@pytest.fixture(scope="module", params=PINNED_DAYS, ids=str)
def caseload_db(request, django_db_setup, django_db_blocker):
    with pinned(request.param), django_db_blocker.unblock(), transaction.atomic():
        data = Caseload(CASELOAD, request.param)
        data.add_user(
            "south_supervisor", Role.SUPERVISOR, data.org["South Reception Centre"]
        )
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def data(caseload_db, db) -> Caseload:
    return caseload_db
