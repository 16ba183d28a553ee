"""A synthetic caseload shared by the statistics tests of a module.

The caseload is created once per test module inside a transaction that is
rolled back afterwards, so other tests never see it; each test runs in a
savepoint inside it.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from nrm import services as nrm_services
from nrm.demo import load_directory
from nrm.models import Organisation, User
from nrm.roles import Role
from referral.statistics import caseload

CASELOAD = 3000


class Caseload:
    def __init__(self, count: int):
        load_directory()
        self.org = {o.name: o for o in Organisation.objects.all()}
        today = timezone.localdate()
        self.summary = caseload.generate(
            count, seed=7, start=date(today.year - 2, 1, 1)
        )
        self.users: dict[str, User] = {u.username: u for u in User.objects.all()}

    def add_user(self, username: str, role: str, organisation: Organisation) -> User:
        user = nrm_services.user_create(
            username=username, password="a-long-test-password-1234"
        )
        nrm_services.membership_create(user=user, organisation=organisation, role=role)
        self.users[username] = user
        return user


@pytest.fixture(scope="module")
def caseload_db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        data = Caseload(CASELOAD)
        data.add_user(
            "south_supervisor", Role.SUPERVISOR, data.org["South Reception Centre"]
        )
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def data(caseload_db, db) -> Caseload:
    return caseload_db
