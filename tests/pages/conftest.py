"""The demo mechanism, a case at each step of the reception officer's
journey made through the real services, and page clients signed in through
the one-time password step. Synthetic data only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nrm.models import User
from referral.models import Case, Referral
from tests.support.casework import consent, refer, register, screen
from tests.support.mechanism import Mechanism


@dataclass
class Referred:
    """A case the reception officer registered, screened (presumed), got
    consent for and referred to the National Identification Authority."""

    mechanism: Mechanism
    case: Case
    referral: Referral

    def user(self, username: str) -> User:
        return User.objects.get(username=username)


@pytest.fixture
def mechanism(db) -> Mechanism:
    return Mechanism()


@pytest.fixture
def referred(mechanism) -> Referred:
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    consent(reception, case, mechanism.authority)
    referral = refer(reception, case, mechanism.authority)
    return Referred(mechanism, Case.objects.get(pk=case.pk), referral)
