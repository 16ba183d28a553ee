"""Sequences at the edges of the workflow: the latest word on consent,
referrals that lapse while contact is lost or after acceptance, cases that
end with referrals outstanding, the recovery period to the minute, the
reconsideration window, deadlines, child protection from the first contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from referral.models import Case, Deadline, Referral
from tests.support.journeys import (
    answer,
    consent,
    decide,
    refer,
    register,
    request_reconsideration,
    step,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import child_payload

pytestmark = pytest.mark.django_db


def state_of(case_id) -> str:
    return Case.objects.get(pk=case_id).state


def deadline_states(case_id) -> dict[str, str]:
    now = timezone.now()
    return {d.kind: d.status(now) for d in Deadline.objects.filter(case_id=case_id)}


def test_a_refusal_after_a_consent_is_the_persons_latest_word(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    consent(reception, case_id, mechanism.authority, "identification", given=False)
    refused = refer(
        reception, case_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"


def test_a_referral_declined_while_contact_is_lost_resumes_to_choosing(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    answer(
        mechanism.client("idworker"),
        referral["id"],
        "decline",
        {"reason": "person_unreachable"},
    )
    step(reception, case_id, "resume")
    assert state_of(case_id) == "referral_pending"
    consent(reception, case_id, mechanism.second_authority, "identification")
    refer(reception, case_id, mechanism.second_authority, "identification")


def test_consent_withdrawn_after_acceptance_returns_the_case(mechanism):
    reception, case_id = to_assessment(mechanism)
    from referral.models import Consent

    consent_id = Consent.objects.get(case_id=case_id, purpose="identification").pk
    response = reception.post(f"/api/v1/consents/{consent_id}/withdraw/")
    assert response.status_code == 200
    assert state_of(case_id) == "referral_pending"
    assert Referral.objects.get(case_id=case_id).state == "withdrawn"
    assert deadline_states(case_id)["rg_decision"] == "cancelled"
    assert (
        mechanism.client("decider").get(f"/api/v1/cases/{case_id}/").status_code == 404
    )
    # The person can still be counted without their data.
    consent(reception, case_id, mechanism.authority, "identification", given=False)
    step(reception, case_id, "notify-anonymously", {})


def test_closing_withdraws_unanswered_referrals_and_they_cannot_be_accepted(
    mechanism,
):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.shelter, "shelter")
    referral = refer(reception, case_id, mechanism.shelter, "shelter")
    step(reception, case_id, "close", {"reason": "consent_withdrawn"})
    assert Referral.objects.get(pk=referral["id"]).state == "withdrawn"
    refused = answer(
        mechanism.client("caseworker"), referral["id"], "accept", expect=409
    )
    assert refused["code"] == "invalid_state"
    assert (
        mechanism.client("caseworker").get(f"/api/v1/cases/{case_id}/").status_code
        == 404
    )


def test_no_conclusive_decision_on_the_last_day_of_the_recovery_period(mechanism):
    _, case_id = to_assessment(mechanism)
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", True)
    ends = Case.objects.get(pk=case_id).recovery_ends_on
    early_on_last_day = timezone.make_aware(
        timezone.datetime.combine(ends, timezone.datetime.min.time())
    ) + timedelta(minutes=30)
    with time_machine.travel(early_on_last_day):
        refused = decide(
            mechanism.client("decider"), case_id, "conclusive_grounds", True, expect=409
        )
    assert refused["code"] == "recovery_period_running"
    with time_machine.travel(early_on_last_day + timedelta(days=1)):
        decide(mechanism.client("decider"), case_id, "conclusive_grounds", True)


def test_the_reconsideration_window_runs_from_the_first_refusal(mechanism):
    _, case_id = to_assessment(mechanism)
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", False)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=80)):
        request_reconsideration(mechanism.client("reception"), case_id)
        decide(mechanism.client("second_decider"), case_id, "reconsideration", False)
    with time_machine.travel(start + timedelta(days=100)):
        refused = request_reconsideration(
            mechanism.client("reception"), case_id, expect=409
        )
    assert refused["code"] == "reconsideration_window_closed"


def test_a_decline_meets_the_answer_deadline_and_cancels_the_decision_deadline(
    mechanism,
):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    answer(
        mechanism.client("idworker"),
        referral["id"],
        "decline",
        {"reason": "no_capacity"},
    )
    assert deadline_states(case_id) == {
        "referral_answer": "met",
        "rg_decision": "cancelled",
    }


def test_a_child_goes_to_child_protection_at_registration(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    [referral] = Referral.objects.filter(case_id=case["id"])
    assert referral.purpose == "child_protection"
    assert referral.to_organisation == mechanism.child_protection
    # Declined: the next pathway is tried, never the decliner again.
    answer(
        mechanism.client("childworker"),
        referral.pk,
        "decline",
        {"reason": "no_capacity"},
    )
    step(
        reception,
        case["id"],
        "screen",
        {"catalogue_id": "ilo-2009-adult-labour", "indicator_codes": []},
    )
    tried = list(
        Referral.objects.filter(case_id=case["id"]).values_list(
            "to_organisation__name", flat=True
        )
    )
    assert tried.count("North Child Protection Authority") == 1


def test_transfer_from_suspension_and_never_to_the_own_country(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    refused = step(reception, case_id, "transfer", {"country": "XA"}, expect=400)
    assert "country" in refused["detail"]
    step(reception, case_id, "transfer", {"country": "XC"})
    case = Case.objects.get(pk=case_id)
    assert (case.state, case.suspended_at, case.state_before_suspension) == (
        "transferred",
        None,
        "",
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/?state=%00",
        "/api/v1/referrals/inbox/?state=%00",
        "/api/v1/referrals/outbox/?state=nonsense",
        "/api/v1/organisations/?purpose=%00",
        "/api/v1/audit/events/?action=%00",
    ],
)
def test_bad_filters_are_400_not_500(mechanism, path):
    client = mechanism.client("supervisor")
    assert client.get(path).status_code == 400
