"""Access at the edges: the transit route, a guardian's withdrawal, who may
appoint a guardian, what a recipient learns before accepting, and input that
must never reach a record."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.errors import Forbidden
from nrm import services as nrm_services
from nrm.models import AuditEvent
from nrm.roles import Role
from referral.models import Referral
from tests.support.journeys import (
    answer,
    consent,
    refer,
    register,
    screen,
    step,
    to_referral_pending,
)
from tests.support.mechanism import child_payload, person_payload

pytestmark = pytest.mark.django_db


def test_a_foreign_mechanism_that_accepts_gets_no_case_access(mechanism):
    foreign_worker = mechanism.add_user(
        "foreign_worker", Role.CASE_WORKER, mechanism.foreign_nrm
    )
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "transfer", {"country": "XC"})
    referral = Referral.objects.get(case_id=case_id, purpose="transnational")
    client = mechanism.client(foreign_worker.username)
    answer(client, referral.pk, "accept")
    assert client.get(f"/api/v1/cases/{case_id}/").status_code == 404
    body = client.get(f"/api/v1/referrals/{referral.pk}/").content.decode()
    assert "Testfamily" not in body and case_id not in body


def _child_with_guardian(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    result = screen(reception, case["id"], [])
    childworker = mechanism.client("childworker")
    answer(childworker, result["result"]["child_protection_referral"], "accept")
    step(
        childworker,
        case["id"],
        "appoint-guardian",
        {"guardian_id": str(mechanism.user["guardian"].pk)},
    )
    return reception, childworker, case["id"]


def test_a_guardians_withdrawal_cuts_off_the_recipient(mechanism):
    reception, childworker, case_id = _child_with_guardian(mechanism)
    guardian = mechanism.client("guardian")
    given = consent(guardian, case_id, mechanism.shelter, "shelter")
    referral = refer(reception, case_id, mechanism.shelter, "shelter")
    caseworker = mechanism.client("caseworker")
    answer(caseworker, referral["id"], "accept")
    assert caseworker.get(f"/api/v1/cases/{case_id}/").status_code == 200
    response = guardian.post(f"/api/v1/consents/{given['id']}/withdraw/")
    assert response.status_code == 200
    assert caseworker.get(f"/api/v1/cases/{case_id}/").status_code == 404
    # Child protection took the child in without consent and keeps the case.
    assert childworker.get(f"/api/v1/cases/{case_id}/").status_code == 200


def test_only_child_protection_appoints_guardians(
    mechanism,
):
    reception, _, case_id = _child_with_guardian(mechanism)
    guardian = mechanism.client("guardian")
    consent(guardian, case_id, mechanism.shelter, "shelter")
    referral = refer(reception, case_id, mechanism.shelter, "shelter")
    caseworker = mechanism.client("caseworker")
    answer(caseworker, referral["id"], "accept")
    stranger = mechanism.add_user(
        "stranger_guardian",
        Role.GUARDIAN,
        mechanism.org["South Guardianship Authority"],
    )
    refused = step(
        caseworker,
        case_id,
        "appoint-guardian",
        {"guardian_id": str(stranger.pk)},
        expect=403,
    )
    assert refused["code"] == "child_protection_only"


def test_a_recipient_sees_no_case_id_in_its_deadlines_before_accepting(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    refer(reception, case_id, mechanism.authority, "identification")
    body = mechanism.client("decider").get("/api/v1/deadlines/")
    assert body.status_code == 200
    rows = body.json()["results"]
    assert rows and all(row["case_id"] is None for row in rows)
    assert case_id not in body.content.decode()


@pytest.mark.parametrize(
    "query", ["since=2024-02-30", "until=2024-13-01T00:00", "action=free text"]
)
def test_bad_audit_queries_are_400(mechanism, query):
    to_referral_pending(mechanism)
    response = mechanism.client("supervisor").get(f"/api/v1/audit/events/?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["language"])
def test_language_is_a_code_never_free_text(mechanism, field):
    reception = mechanism.client("reception")
    response = reception.post(
        "/api/v1/cases/", person_payload(**{field: "Testfree Text"}), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_nobody_grants_themselves_a_personal_data_role(mechanism):
    admin = mechanism.user["admin"]
    with pytest.raises(Forbidden):
        nrm_services.membership_create(
            user=admin,
            organisation=mechanism.reception_centre,
            role=Role.SUPERVISOR,
            actor=admin,
        )
    granted = nrm_services.membership_create(
        user=mechanism.user["rapporteur"],
        organisation=mechanism.reception_centre,
        role=Role.SUPERVISOR,
        actor=admin,
    )
    event = AuditEvent.objects.get(
        action="staff.membership_granted", object_id=str(granted.pk)
    )
    assert event.actor == admin
    nrm_services.membership_deactivate(membership_id=granted.pk, actor=admin)
    assert AuditEvent.objects.filter(action="staff.membership_revoked").count() == 1


def test_demo_data_refuses_production_settings(db):
    with override_settings(VAULT_CREATE_KEY_FILE=False), pytest.raises(CommandError):
        call_command("load_demo")


@pytest.mark.parametrize(
    "who", ["reception", "not-a-uuid", "00000000-0000-4000-8000-000000000000"]
)
def test_only_a_guardian_can_be_appointed(mechanism, who):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    childworker = mechanism.client("childworker")
    answer(childworker, Referral.objects.get(case_id=case["id"]).pk, "accept")
    guardian = str(mechanism.user[who].pk) if who in mechanism.user else who
    refused = step(
        childworker,
        case["id"],
        "appoint-guardian",
        {"guardian_id": guardian},
        expect=400,
    )
    assert "guardian_id" in refused["detail"]
