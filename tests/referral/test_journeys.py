"""End-to-end journeys through the real API, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from nrm.models import AuditEvent, OutboxMessage
from referral.models import Case, Referral
from tests.support.journeys import (
    answer,
    consent,
    decide,
    person_request,
    refer,
    register,
    request_reconsideration,
    screen,
    state_of,
    step,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import child_payload, person_payload, presumed_adult_codes

pytestmark = pytest.mark.django_db


def test_adult_labour_case_from_registration_to_recognition_and_closure(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, person_payload())
    assert case["state"] == "registered"
    assert case["person"] is None  # write responses never carry personal data
    detail = reception.get(f"/api/v1/cases/{case['id']}/").json()
    assert detail["person"]["given_names"].startswith("Testgiven")

    result = screen(reception, case["id"], presumed_adult_codes())
    assert result["result"]["screening"]["outcome"] == "presumed"
    assert state_of(case["id"]) == "referral_pending"

    consent(reception, case["id"], mechanism.authority, "identification")
    referral = refer(reception, case["id"], mechanism.authority, "identification")
    assert state_of(case["id"]) == "referred"
    assert OutboxMessage.objects.filter(
        kind="referral.received", organisation=mechanism.authority
    ).exists()

    idworker = mechanism.client("idworker")
    inbox = idworker.get("/api/v1/referrals/inbox/").json()["results"]
    assert [r["id"] for r in inbox] == [referral["id"]]
    answer(idworker, referral["id"], "accept")
    assert state_of(case["id"]) == "assessment"

    decider = mechanism.client("decider")
    detail = decider.get(f"/api/v1/cases/{case['id']}/").json()
    kinds = {d["kind"] for d in detail["deadlines"]}
    assert {"referral_answer", "rg_decision"} <= kinds
    decide(decider, case["id"], "reasonable_grounds", True)
    case_row = Case.objects.get(pk=case["id"])
    assert case_row.state == "presumed_victim"
    assert case_row.recovery_ends_on == timezone.localdate() + timedelta(days=30)

    # The recovery period runs: no conclusive decision yet.
    refused = decide(decider, case["id"], "conclusive_grounds", True, expect=409)
    assert refused["code"] == "recovery_period_running"

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        # A month later: a new session (sessions expire after inactivity).
        decide(mechanism.client("decider"), case["id"], "conclusive_grounds", True)
    assert state_of(case["id"]) == "recognised"

    step(
        mechanism.client("caseworker"),
        case["id"],
        "close",
        {"reason": "durable_solution"},
        expect=404,
    )
    step(reception, case["id"], "close", {"reason": "durable_solution"})
    assert state_of(case["id"]) == "closed"

    transitions = list(
        AuditEvent.objects.filter(case_id=case["id"], action="case.transition")
        .order_by("id")
        .values_list("from_state", "to_state")
    )
    assert transitions == [
        ("registered", "referral_pending"),
        ("referral_pending", "referred"),
        ("referred", "assessment"),
        ("assessment", "presumed_victim"),
        ("presumed_victim", "recognised"),
        ("recognised", "closed"),
    ]


def test_conclusive_decision_at_the_persons_request_during_recovery(mechanism):
    _, case_id = to_assessment(mechanism)
    decider = mechanism.client("decider")
    decide(decider, case_id, "reasonable_grounds", True)
    request = person_request(mechanism.client("idworker"), case_id, "early_decision")
    decide(
        decider, case_id, "conclusive_grounds", True, person_request_id=request["id"]
    )
    assert state_of(case_id) == "recognised"


def test_child_case_with_child_protection_guardian_and_best_interests(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    assert case["is_child"] is True

    # No indicators at all: a child is referred to child protection anyway.
    result = screen(reception, case["id"], [])
    assert result["result"]["screening"]["outcome"] == "none"
    assert result["case"]["state"] == "referral_pending"
    child_referral = Referral.objects.get(
        pk=result["result"]["child_protection_referral"]
    )
    assert child_referral.to_organisation == mechanism.child_protection
    assert child_referral.consent is None

    childworker = mechanism.client("childworker")
    answer(childworker, child_referral.pk, "accept")

    # The identification referral waits for neither a guardian nor consent.
    refer(reception, case["id"], mechanism.authority, "identification")
    assert state_of(case["id"]) == "referred"
    # Other consent-bound referrals need the appointed guardian's consent.
    refused = refer(reception, case["id"], mechanism.shelter, "shelter", expect=409)
    assert refused["code"] == "guardian_required"
    guardian_user = mechanism.user["guardian"]
    step(
        childworker,
        case["id"],
        "appoint-guardian",
        {"guardian_id": str(guardian_user.pk)},
    )

    # Staff cannot consent for the child; the appointed guardian does.
    refused = consent(reception, case["id"], mechanism.shelter, "shelter", expect=403)
    assert refused["code"] == "guardian_consents"
    guardian = mechanism.client("guardian")
    seen = guardian.get(f"/api/v1/cases/{case['id']}/").json()
    assert seen["person"]["family_name"].startswith("Testfamily")
    consent(guardian, case["id"], mechanism.shelter, "shelter")
    refer(reception, case["id"], mechanism.shelter, "shelter")

    # No closure (nor return) without a best-interests assessment.
    refused = step(
        reception, case["id"], "close", {"reason": "consent_withdrawn"}, expect=409
    )
    assert refused["code"] == "best_interests_assessment_required"
    step(
        childworker,
        case["id"],
        "record-best-interests",
        {"recommendation": "family_reunification", "summary": "Synthetic summary."},
    )
    step(reception, case["id"], "close", {"reason": "consent_withdrawn"})
    assert state_of(case["id"]) == "closed"


def test_adult_who_refuses_consent_is_notified_anonymously(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification", given=False)
    refused = refer(
        reception, case_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"

    step(reception, case_id, "notify-anonymously", {})
    idworker = mechanism.client("idworker")
    inbox = idworker.get("/api/v1/anonymous-notifications/inbox/")
    assert inbox.status_code == 200
    [notice] = inbox.json()["results"]
    assert set(notice) == {
        "id",
        "from_organisation",
        "sex",
        "age_group",
        "citizenship",
        "exploitation_forms",
        "sent_at",
    }
    person = Case.objects.get(pk=case_id).person
    body = inbox.content.decode()
    for value in (person.given_names, person.family_name, case_id, "Synthetic"):
        assert value not in body
    # The authority cannot reach the case at all.
    assert idworker.get(f"/api/v1/cases/{case_id}/").status_code == 404


def test_declined_referral_is_rerouted(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    first = refer(reception, case_id, mechanism.authority, "identification")
    answer(
        mechanism.client("idworker"), first["id"], "decline", {"reason": "no_capacity"}
    )
    assert state_of(case_id) == "referral_pending"
    assert OutboxMessage.objects.filter(
        kind="referral.declined", organisation=mechanism.reception_centre
    ).exists()

    consent(reception, case_id, mechanism.second_authority, "identification")
    second = refer(reception, case_id, mechanism.second_authority, "identification")
    answer(mechanism.client("regional_worker"), second["id"], "accept")
    assert state_of(case_id) == "assessment"
    # The decliner never gained access; the acceptor did.
    assert (
        mechanism.client("idworker").get(f"/api/v1/cases/{case_id}/").status_code == 404
    )
    assert (
        mechanism.client("regional_worker").get(f"/api/v1/cases/{case_id}/").status_code
        == 200
    )
    # Only the accepting authority's decision maker decides.
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", True, expect=404)
    decide(mechanism.client("regional_decider"), case_id, "reasonable_grounds", True)


def test_negative_decision_then_reconsideration(mechanism):
    reception, case_id = to_assessment(mechanism)
    decider = mechanism.client("decider")
    decide(decider, case_id, "reasonable_grounds", False)
    assert state_of(case_id) == "not_identified"
    request_reconsideration(reception, case_id)
    decide(mechanism.client("second_decider"), case_id, "reconsideration", True)
    case = Case.objects.get(pk=case_id)
    assert case.state == "presumed_victim"
    assert case.recovery_ends_on is not None


def test_reconsideration_window_closes(mechanism):
    reception, case_id = to_assessment(mechanism)
    decider = mechanism.client("decider")
    decide(decider, case_id, "reasonable_grounds", False)
    request_reconsideration(reception, case_id)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        later = mechanism.client("second_decider")
        refused = decide(later, case_id, "reconsideration", True, expect=409)
    assert refused["code"] == "reconsideration_window_closed"


def test_lost_contact_suspends_and_resume_returns_where_it_was(mechanism):
    reception, case_id = to_assessment(mechanism)
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    assert state_of(case_id) == "suspended"
    refused = screen(reception, case_id, [], expect=409)
    assert refused["code"] == "invalid_state"
    step(reception, case_id, "resume")
    assert state_of(case_id) == "assessment"


def test_transit_transfer_ends_transferred_with_a_sealed_handover(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    refused = step(reception, case_id, "transfer", {"country": "XC"}, expect=409)
    assert refused["code"] == "consent_required"
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "transfer", {"country": "XC"})
    case = Case.objects.get(pk=case_id)
    assert case.state == "transferred"
    assert case.transfer_country == "XC"
    referral = Referral.objects.get(case=case, purpose="transnational")
    assert referral.to_organisation == mechanism.foreign_nrm
    raw = Referral.objects.filter(pk=referral.pk).values_list("handover", flat=True)[0]
    assert case.person.family_name.encode() not in bytes(raw)
    assert case.person.family_name in referral.handover
