"""The demo mechanism, a case at each step of the reception officer's
journey made through the real services, and page clients signed in through
the one-time password step. Synthetic data only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client

from nrm.choices import ServiceKind
from nrm.models import User
from referral import services
from referral.models import Case, Referral
from tests.referral.conftest import Mechanism, person_payload, presumed_adult_codes
from tests.support.auth import signed_in

ROLES = [
    "reception",
    "caseworker",
    "decider",
    "guardian",
    "supervisor",
    "rapporteur",
    "admin",
    "childworker",
    "idworker",
]


def page_client(username: str) -> Client:
    return signed_in(Client(), User.objects.get(username=username))


def register(user: User, **overrides) -> Case:
    payload = person_payload(**overrides)
    payload["date_of_birth"] = (
        date.fromisoformat(payload["date_of_birth"])
        if payload.get("date_of_birth")
        else None
    )
    payload.setdefault("is_child", False)
    return services.case_register(actor=user, **payload).case


def screen(user: User, case: Case, codes=None) -> Case:
    services.screening_record(
        actor=user,
        case_id=case.pk,
        catalogue_id="ilo-2009-adult-labour",
        indicator_codes=presumed_adult_codes() if codes is None else codes,
        interpreter_language="ru",
    )
    return Case.objects.get(pk=case.pk)


def consent(user: User, case: Case, organisation, purpose=ServiceKind.IDENTIFICATION):
    return services.consent_record(
        actor=user,
        case_id=case.pk,
        to_organisation_id=organisation.pk,
        purpose=purpose,
        given=True,
        language="ru",
        interpreter_used=True,
    )


def refer(user: User, case: Case, organisation, purpose=ServiceKind.IDENTIFICATION):
    return services.referral_send(
        actor=user, case_id=case.pk, to_organisation_id=organisation.pk, purpose=purpose
    )


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
