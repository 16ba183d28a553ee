"""Cases built through the real services as a given user, for page and
browser tests, which work with model objects; page clients signed in through
the one-time password step. Synthetic data only."""

from __future__ import annotations

from datetime import date

from django.test import Client

from nrm.choices import ServiceKind
from nrm.models import User
from referral import services
from referral.models import Case
from tests.support.auth import signed_in
from tests.support.mechanism import person_payload, presumed_adult_codes

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


def inform_of_rights(user: User, case: Case):
    return services.rights_inform(
        actor=user,
        case_id=case.pk,
        script="rights_script_v1",
        language="ru",
        interpreter_present=True,
    )


def consent(user: User, case: Case, organisation, purpose=ServiceKind.IDENTIFICATION):
    """Consent, after informing the person of their rights."""
    inform_of_rights(user, case)
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
