"""The protections as workflow rules (docs/protections.md): the recovery and
reflection period against removal, the person's recorded requests, the close
table, non-punishment, the risk assessment before return, the return and its
reintegration follow-up, and the residence permit after recognition.

Through the API as staff would take them; every rule with its refusal and its
success. Synthetic data only; the clock is pinned where dates matter."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from nrm.models import AuditEvent, CountryProfile, OutboxMessage
from referral.models import (
    Case,
    CaseReturn,
    Deadline,
    Decision,
    NonPunishmentNotice,
    PersonRequest,
    ResidencePermit,
)
from referral.workflow import CLOSE_REASONS_BY_STATE
from tests.support.casework import page_client
from tests.support.journeys import (
    answer,
    consent,
    decide,
    person_request,
    record,
    register,
    screen,
    state_of,
    step,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import child_payload, person_payload

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 30, 10, 0))
PROTECTION = ("recovery.protection_notice", "recovery.protection_ended")


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def presumed_victim(mechanism) -> tuple[object, str]:
    """An adult's case with a positive reasonable-grounds decision: the
    recovery and reflection period runs."""
    reception, case_id = to_assessment(mechanism)
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", True)
    assert state_of(case_id) == "presumed_victim"
    return reception, case_id


def assess_risk(client, case_id, expect=200) -> dict:
    return record(
        step(
            client,
            case_id,
            "assess-risk",
            {
                "retrafficking_risk": "high",
                "return_risk": "medium",
                "reasons": "Synthetic reasons for the risk levels.",
            },
            expect=expect,
        )
    )


def close_for_return(client, case_id, expect=200, **extra) -> dict:
    body = {
        "reason": "return",
        "return_kind": "voluntary",
        "partner_organisation_id": None,
        "partner_name": "Synthetic Partner NGO",
        **extra,
    }
    return step(client, case_id, "close", body, expect=expect)


def notices(case_id) -> list[OutboxMessage]:
    reference = Case.objects.get(pk=case_id).reference
    return list(
        OutboxMessage.objects.filter(
            kind__in=PROTECTION, payload__case_reference=reference
        ).order_by("created_at")
    )


# The recovery and reflection period (CETS 197 art. 13)


def test_no_close_for_return_during_the_recovery_period_without_a_recorded_request(
    mechanism, pinned
):
    """The journey: an adult whose case cannot be closed for return while the
    period runs, then can once the person's request is recorded."""
    reception, case_id = presumed_victim(mechanism)
    assess_risk(reception, case_id)
    refused = close_for_return(reception, case_id, expect=409)
    assert refused["code"] == "recovery_period_protects"
    assert refused["detail"]["recovery_ends_on"] == "2026-12-30"
    assert state_of(case_id) == "presumed_victim"
    assert not CaseReturn.objects.filter(case_id=case_id).exists()

    # A request for something else does not do.
    early = person_request(reception, case_id, "early_decision")
    refused = close_for_return(
        reception, case_id, expect=400, person_request_id=early["id"]
    )
    assert refused["code"] == "unknown_person_request"

    request = person_request(reception, case_id, "return")
    assert request["kind"] == "return" and request["interpreter_present"] is True
    close_for_return(reception, case_id, person_request_id=request["id"])
    assert state_of(case_id) == "closed"
    returned = CaseReturn.objects.get(case_id=case_id)
    assert (
        returned.kind == "voluntary"
        and str(returned.person_request_id) == (request["id"])
    )
    # The period ended by the close: the migration authority is told.
    ended = notices(case_id)[-1]
    assert ended.kind == "recovery.protection_ended"
    assert ended.payload["cause"] == "closed"


def test_a_recorded_request_of_the_person_is_sealed_and_audited(mechanism):
    reception, case_id = presumed_victim(mechanism)
    words = "Synthetic words of the request 4711."
    result = record(
        step(
            reception,
            case_id,
            "record-person-request",
            {"kind": "transfer", "language": "ru", "text": words},
        )
    )
    assert "text" not in result
    stored = PersonRequest.objects.get(pk=result["id"])
    assert stored.text == words
    assert stored.interpreter_present is False
    assert words.encode() not in bytes(stored.text_sealed)
    event = AuditEvent.objects.get(action="person_request.recorded", case_id=case_id)
    assert event.reason_code == "transfer" and words not in str(event.extra)
    # Refusals: a blank text, an unknown kind, a role that records no consent,
    # another organisation's case.
    blank = step(
        reception,
        case_id,
        "record-person-request",
        {"kind": "return", "language": "ru", "text": "  "},
        expect=400,
    )
    assert blank["code"] in {"invalid", "request_text_required"}
    step(
        reception,
        case_id,
        "record-person-request",
        {"kind": "asylum", "language": "ru", "text": "Synthetic."},
        expect=400,
    )
    step(
        mechanism.client("decider"),
        case_id,
        "record-person-request",
        {"kind": "return", "language": "ru", "text": "Synthetic."},
        expect=403,
    )
    step(
        mechanism.client("south_reception"),
        case_id,
        "record-person-request",
        {"kind": "return", "language": "ru", "text": "Synthetic."},
        expect=404,
    )


def test_no_transfer_during_the_recovery_period_without_a_recorded_request(
    mechanism, pinned
):
    """A transfer abroad is a removal: refused while the period runs unless the
    person asked; and it never cancels the period's deadline silently."""
    reception, case_id = presumed_victim(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    refused = step(reception, case_id, "transfer", {"country": "XC"}, expect=409)
    assert refused["code"] == "recovery_period_protects"
    assert state_of(case_id) == "presumed_victim"

    request = person_request(reception, case_id, "transfer")
    step(
        reception,
        case_id,
        "transfer",
        {"country": "XC", "person_request_id": request["id"]},
    )
    assert state_of(case_id) == "transferred"
    deadline = Deadline.objects.get(case_id=case_id, kind="recovery_period_end")
    assert deadline.cancelled_at is not None
    ended = notices(case_id)[-1]
    assert ended.kind == "recovery.protection_ended"
    assert ended.payload["cause"] == "transferred"
    assert AuditEvent.objects.filter(
        case_id=case_id,
        action="recovery.protection_notice_sent",
        reason_code="recovery.protection_ended",
    ).exists()


def test_a_transfer_outside_the_recovery_period_needs_no_request(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "transfer", {"country": "XC"})
    assert state_of(case_id) == "transferred"
    assert notices(case_id) == []


def test_an_early_conclusive_decision_names_a_recorded_request_not_a_flag(
    mechanism, pinned
):
    reception, case_id = presumed_victim(mechanism)
    decider = mechanism.client("decider")
    refused = decide(decider, case_id, "conclusive_grounds", False, expect=409)
    assert refused["code"] == "recovery_period_running"
    # The old flag is no longer an input.
    refused = decide(
        decider,
        case_id,
        "conclusive_grounds",
        False,
        expect=400,
        at_person_request=True,
    )
    # A request of another case, or of another kind, is refused.
    _, other_id = presumed_victim(mechanism)
    elsewhere = person_request(reception, other_id, "early_decision")
    refused = decide(
        decider,
        case_id,
        "conclusive_grounds",
        False,
        expect=400,
        person_request_id=elsewhere["id"],
    )
    assert refused["code"] == "unknown_person_request"
    assert state_of(case_id) == "presumed_victim"

    request = person_request(reception, case_id, "early_decision")
    decision = decide(
        decider, case_id, "conclusive_grounds", False, person_request_id=request["id"]
    )
    assert decision["result"]["person_request_id"] == request["id"]
    assert state_of(case_id) == "not_identified"
    stored = Decision.objects.get(pk=decision["result"]["id"])
    assert str(stored.person_request_id) == request["id"]
    listed = decider.get(f"/api/v1/cases/{case_id}/decisions/").json()
    assert request["id"] in [d["person_request_id"] for d in listed["results"]]


def test_a_positive_reasonable_grounds_decision_sends_a_protection_notice(
    mechanism, pinned
):
    """To the migration authority (by default the police / border authorities
    of the directory): the case number and the period's end, nothing more."""
    _, case_id = presumed_victim(mechanism)
    case = Case.objects.get(pk=case_id)
    [notice] = notices(case_id)
    assert notice.kind == "recovery.protection_notice"
    assert notice.organisation.name == "North Border Police"
    assert notice.payload == {
        "case_reference": case.reference,
        "recovery_ends_on": "2026-12-30",
    }
    person = case.person
    for value in (person.given_names, person.family_name, str(case.pk)):
        assert value not in str(notice.payload)

    # The period's end is told too, by the overdue sweep.
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        call_command("sweep_deadlines")
    ended = notices(case_id)[-1]
    assert ended.kind == "recovery.protection_ended"
    assert ended.payload["cause"] == "period_ended"


def test_the_profile_names_the_migration_authority(mechanism):
    authority = mechanism.org["South Reception Centre"]
    CountryProfile.objects.filter(is_active=True).update(migration_authority=authority)
    _, case_id = presumed_victim(mechanism)
    assert [n.organisation for n in notices(case_id)] == [authority]


def test_a_negative_reasonable_grounds_decision_sends_no_protection_notice(
    mechanism,
):
    _, case_id = to_assessment(mechanism)
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", False)
    assert notices(case_id) == []


# Closing (the table of state x reason)


def test_close_reasons_must_fit_the_state(mechanism):
    reception, case_id = to_referral_pending(mechanism)  # screened presumed
    refused = step(reception, case_id, "close", {"reason": "no_indicators"}, expect=409)
    assert refused["code"] == "close_reason_unfit"
    assert refused["detail"] == {"state": "referral_pending", "reason": "no_indicators"}
    assert state_of(case_id) == "referral_pending"
    step(reception, case_id, "close", {"reason": "consent_withdrawn"})
    assert state_of(case_id) == "closed"


def test_no_indicators_closes_a_case_screened_without_indicators(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, person_payload())
    refused = step(
        reception, case["id"], "close", {"reason": "no_indicators"}, expect=409
    )
    assert refused["code"] == "close_reason_unfit"  # not screened yet
    screen(reception, case["id"], [])
    step(reception, case["id"], "close", {"reason": "no_indicators"})
    assert state_of(case["id"]) == "closed"


def test_the_registering_centre_cannot_close_while_the_authority_assesses(
    mechanism,
):
    reception, case_id = to_assessment(mechanism)
    for username in ("reception", "supervisor"):
        refused = step(
            mechanism.client(username),
            case_id,
            "close",
            {"reason": "consent_withdrawn"},
            expect=409,
        )
        assert refused["code"] == "authority_holds_case"
    assert state_of(case_id) == "assessment"
    # Once the authority decided, the case may close on a fitting reason.
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", False)
    step(reception, case_id, "close", {"reason": "not_identified"})
    assert state_of(case_id) == "closed"


def test_the_close_table_in_the_docs_matches_the_workflow_table():
    text = (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text()
    section = text.split("## Closing", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = re.findall(r"`([a-z_]+)`", rows[0])
    documented = {}
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        documented[cells[0]] = {
            reason for reason, mark in zip(header, cells[1:], strict=True) if mark
        }
    assert documented == {
        state: set(reasons) for state, reasons in CLOSE_REASONS_BY_STATE.items()
    }


def test_return_details_are_for_a_close_for_return_only(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    refused = step(
        reception,
        case_id,
        "close",
        {"reason": "consent_withdrawn", "return_kind": "forced"},
        expect=400,
    )
    assert refused["code"] == "return_details_unexpected"
    assert state_of(case_id) == "referral_pending"


# Risk, return and reintegration (CETS 197 art. 16)


def test_a_return_needs_a_risk_assessment_for_adults(mechanism, pinned):
    """The journey: a return with its risk assessment and the reintegration
    follow-up deadline."""
    reception, case_id = to_referral_pending(mechanism)
    refused = close_for_return(reception, case_id, expect=409)
    assert refused["code"] == "risk_assessment_required"

    bad = step(
        reception,
        case_id,
        "assess-risk",
        {
            "retrafficking_risk": "extreme",
            "return_risk": "low",
            "reasons": "Synthetic.",
        },
        expect=400,
    )
    assert "retrafficking_risk" in bad["detail"]
    step(
        mechanism.client("supervisor"),
        case_id,
        "assess-risk",
        {"retrafficking_risk": "low", "return_risk": "low", "reasons": "Synthetic."},
        expect=403,
    )
    step(
        mechanism.client("south_reception"),
        case_id,
        "assess-risk",
        {"retrafficking_risk": "low", "return_risk": "low", "reasons": "Synthetic."},
        expect=404,
    )
    assessment = assess_risk(reception, case_id)
    assert assessment["retrafficking_risk"] == "high"
    assert (
        AuditEvent.objects.get(action="risk.assessed", case_id=case_id).reason_code
        == "high:medium"
    )

    refused = close_for_return(reception, case_id, expect=400, return_kind="")
    assert refused["code"] == "return_kind_required"
    refused = close_for_return(reception, case_id, expect=400, partner_name="")
    assert refused["code"] == "return_partner_required"
    partner = mechanism.foreign_nrm
    close_for_return(
        reception,
        case_id,
        return_kind="forced",
        partner_name="",
        partner_organisation_id=str(partner.pk),
    )
    assert state_of(case_id) == "closed"
    returned = CaseReturn.objects.get(case_id=case_id)
    assert returned.kind == "forced" and returned.partner_organisation == partner

    follow_up = Deadline.objects.get(case_id=case_id, kind="reintegration_follow_up")
    assert follow_up.organisation == mechanism.reception_centre
    assert timezone.localdate(follow_up.due_at).isoformat() == "2027-02-28"
    assert follow_up.met_at is None and follow_up.cancelled_at is None


def test_a_return_needs_a_risk_assessment_for_children(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    result = screen(reception, case["id"], [])
    childworker = mechanism.client("childworker")
    answer(childworker, result["result"]["child_protection_referral"], "accept")
    step(
        childworker,
        case["id"],
        "record-best-interests",
        {"recommendation": "family_reunification", "summary": "Synthetic."},
    )
    refused = close_for_return(reception, case["id"], expect=409)
    assert refused["code"] == "risk_assessment_required"
    assess_risk(childworker, case["id"])
    close_for_return(reception, case["id"])
    assert state_of(case["id"]) == "closed"


def test_a_partner_named_in_free_text_is_sealed(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    assess_risk(reception, case_id)
    close_for_return(reception, case_id, partner_name="Synthetic Partner 0815")
    returned = CaseReturn.objects.get(case_id=case_id)
    assert returned.partner_name == "Synthetic Partner 0815"
    assert b"Synthetic Partner 0815" not in bytes(returned.partner_name_sealed)
    assert "0815" not in str(
        list(AuditEvent.objects.filter(case_id=case_id).values("extra"))
    )


def test_reintegration_follow_up_is_a_deadline_the_sweep_watches(mechanism, pinned):
    reception, case_id = to_referral_pending(mechanism)
    refused = step(
        reception,
        case_id,
        "record-reintegration-follow-up",
        {"outcome": "in_contact"},
        expect=409,
    )
    assert refused["code"] == "no_reintegration_due"
    assess_risk(reception, case_id)
    close_for_return(reception, case_id)
    OutboxMessage.objects.all().delete()

    with time_machine.travel(NOW + timedelta(days=91), tick=False):
        call_command("sweep_deadlines")
        overdue = OutboxMessage.objects.get(kind="deadline.overdue")
        assert overdue.organisation == mechanism.reception_centre
        assert overdue.payload["deadline_kind"] == "reintegration_follow_up"
        reception = mechanism.client("reception")
        step(
            reception,
            case_id,
            "record-reintegration-follow-up",
            {"outcome": "bored"},
            expect=400,
        )
        step(
            mechanism.client("caseworker"),
            case_id,
            "record-reintegration-follow-up",
            {"outcome": "in_contact"},
            expect=404,
        )
        step(
            reception,
            case_id,
            "record-reintegration-follow-up",
            {"outcome": "needs_support"},
        )
        again = step(
            reception,
            case_id,
            "record-reintegration-follow-up",
            {"outcome": "in_contact"},
            expect=409,
        )
        assert again["code"] == "no_reintegration_due"
    follow_up = Deadline.objects.get(case_id=case_id, kind="reintegration_follow_up")
    assert follow_up.met_at is not None
    assert (
        AuditEvent.objects.get(
            case_id=case_id, action="return.reintegration_followed_up"
        ).reason_code
        == "needs_support"
    )


# Non-punishment (CETS 197 art. 26; Directive 2011/36/EU art. 8)


def test_non_punishment_notice_is_recorded_for_a_presumed_victim(mechanism, pinned):
    police = mechanism.org["North Border Police"]
    body = {"notified_organisation_id": str(police.pk), "notified_on": "2026-11-30"}
    reception, case_id = to_referral_pending(mechanism)
    refused = step(reception, case_id, "notify-non-punishment", body, expect=409)
    assert refused["code"] == "not_a_presumed_victim"

    reception, case_id = presumed_victim(mechanism)
    step(
        mechanism.client("decider"), case_id, "notify-non-punishment", body, expect=403
    )
    step(
        mechanism.client("south_reception"),
        case_id,
        "notify-non-punishment",
        body,
        expect=404,
    )
    step(
        reception,
        case_id,
        "notify-non-punishment",
        {"notified_organisation_id": str(police.pk)},
        expect=400,
    )
    future = step(
        reception,
        case_id,
        "notify-non-punishment",
        {**body, "notified_on": "2026-12-01"},
        expect=400,
    )
    assert future["code"] == "date_in_future"
    unknown = step(
        reception,
        case_id,
        "notify-non-punishment",
        {**body, "notified_organisation_id": str(case_id)},
        expect=400,
    )
    assert unknown["code"] == "unknown_organisation"

    notice = record(step(reception, case_id, "notify-non-punishment", body))
    assert notice["notified_on"] == "2026-11-30"
    assert notice["notified_organisation"]["id"] == str(police.pk)
    assert NonPunishmentNotice.objects.filter(case_id=case_id).count() == 1
    assert AuditEvent.objects.filter(
        action="non_punishment.notified", case_id=case_id
    ).exists()


# Residence permit (CETS 197 art. 14)


def test_residence_permit_is_recorded_after_recognition(mechanism, pinned):
    """The journey: a recognition followed by a residence permit."""
    reception, case_id = presumed_victim(mechanism)
    body = {"status": "applied", "status_on": "2026-11-30"}
    refused = step(reception, case_id, "record-residence-permit", body, expect=409)
    assert refused["code"] == "not_recognised"

    later = NOW + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        decide(mechanism.client("decider"), case_id, "conclusive_grounds", True)
        assert state_of(case_id) == "recognised"
        reception = mechanism.client("reception")
        step(
            mechanism.client("decider"),
            case_id,
            "record-residence-permit",
            body,
            expect=403,
        )
        step(
            reception,
            case_id,
            "record-residence-permit",
            {"status": "pending", "status_on": "2026-12-31"},
            expect=400,
        )
        future = step(
            reception,
            case_id,
            "record-residence-permit",
            {"status": "granted", "status_on": "2027-01-01"},
            expect=400,
        )
        assert future["code"] == "date_in_future"
        step(reception, case_id, "record-residence-permit", body)
        granted = record(
            step(
                reception,
                case_id,
                "record-residence-permit",
                {"status": "granted", "status_on": "2026-12-31"},
            )
        )
    assert granted["status"] == "granted" and granted["status_on"] == "2026-12-31"
    assert list(
        ResidencePermit.objects.filter(case_id=case_id).values_list("status", flat=True)
    ) == ["applied", "granted"]


# Pages: every new step is offered from its declaration


@pytest.mark.parametrize(
    "name",
    [
        "record-person-request",
        "notify-non-punishment",
        "assess-risk",
        "record-residence-permit",
    ],
)
def test_the_new_steps_have_their_page(mechanism, name):
    _, case_id = presumed_victim(mechanism)
    if name == "record-residence-permit":
        with time_machine.travel(timezone.now() + timedelta(days=31)):
            decide(mechanism.client("decider"), case_id, "conclusive_grounds", True)
            client = page_client("reception")
            page = client.get(f"/cases/{case_id}/")
            form = client.get(f"/cases/{case_id}/steps/{name}/")
    else:
        client = page_client("reception")
        page = client.get(f"/cases/{case_id}/")
        form = client.get(f"/cases/{case_id}/steps/{name}/")
    assert f'data-step="{name}"' in page.content.decode()
    assert form.status_code == 200


def test_the_close_page_offers_the_persons_requests(mechanism):
    reception, case_id = presumed_victim(mechanism)
    request = person_request(reception, case_id, "return")
    form = page_client("reception").get(f"/cases/{case_id}/steps/close/")
    text = form.content.decode()
    assert f'value="{request["id"]}"' in text
    assert 'name="partner_organisation_id"' in text


def test_the_subject_access_package_holds_the_protections_records(mechanism):
    """The person's requests, the risk assessment and the return are their
    data (GDPR art. 15): the package carries them, opened."""
    reception, case_id = to_referral_pending(mechanism)
    person_request(reception, case_id, "return")
    assess_risk(reception, case_id)
    close_for_return(reception, case_id, partner_name="Synthetic Partner 4242")
    package = mechanism.client("supervisor").get(
        f"/api/v1/cases/{case_id}/subject-access/"
    )
    assert package.status_code == 200
    [case] = [c for c in package.json()["cases"] if c["id"] == case_id]
    assert case["person_requests"][0]["text"].startswith("Synthetic request")
    assert case["risk_assessments"][0]["return_risk"] == "medium"
    assert case["return"]["partner_name"] == "Synthetic Partner 4242"
    assert case["residence_permits"] == [] and case["non_punishment_notices"] == []
