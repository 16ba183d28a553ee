"""The protections of the Uniform Guidelines as workflow rules (part A):
children, independent reconsideration, rights information, and the access
defects found in review. Each test is named after the rule it checks, goes
through the API (or the sweep command, or a page) and checks the refusal as
well as the success. Synthetic data; the clock is pinned where dates matter."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from nrm import services as nrm_services
from nrm.models import AuditEvent, CountryProfile, OutboxMessage
from nrm.roles import Role
from referral.models import (
    AgeAssessment,
    Case,
    Deadline,
    GuardianAppointment,
    Referral,
    RightsInformation,
)
from referral.steps import STEPS
from referral.views.cases import step_url
from tests.support.auth import signed_in
from tests.support.journeys import (
    answer,
    child_assisted_by_shelter,
    child_in_child_protection,
    child_with_guardian,
    consent,
    decide,
    inform_of_rights,
    refer,
    register,
    request_reconsideration,
    screen,
    state_of,
    step,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import child_payload

pytestmark = pytest.mark.django_db

# A fixed clock for the tests that date things (a child's birthday).
PINNED = datetime(2027, 2, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(0))


# The last second of a year: "today" and "tomorrow" straddle the year's edge,
# and the clock stands still, so the test and the service agree on the day.
YEAR_END = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def year_end():
    """Pins the clock before the mechanism is built (ask for it first)."""
    with time_machine.travel(YEAR_END, tick=False):
        yield YEAR_END


def _sweep() -> str:
    """The scheduled sweep, as its timer runs it; returns what it printed."""
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    return out.getvalue()


def _outbox(kind: str, organisation=None):
    messages = OutboxMessage.objects.filter(kind=kind)
    if organisation is not None:
        messages = messages.filter(organisation=organisation)
    return messages


def _profile(**fields) -> CountryProfile:
    profile = CountryProfile.objects.get(is_active=True)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save(update_fields=list(fields))
    return profile


# Finding 1: a child's identification referral needs no consent.


def test_a_childs_identification_referral_needs_neither_consent_nor_a_guardian(
    mechanism,
):
    reception, case_id = child_in_child_protection(mechanism)
    # The child-protection referral went by itself, without consent.
    automatic = Referral.objects.get(case_id=case_id, purpose="child_protection")
    assert automatic.consent is None
    # No guardian yet, no consent: the identification referral goes.
    assert not GuardianAppointment.objects.filter(case_id=case_id).exists()
    referral = refer(reception, case_id, mechanism.authority, "identification")
    assert Referral.objects.get(pk=referral["id"]).consent is None
    assert state_of(case_id) == "referred"
    answer(mechanism.client("idworker"), referral["id"], "accept")
    assert state_of(case_id) == "assessment"
    # The refusal: an adult's identification referral still needs consent.
    _, adult_id = to_referral_pending(mechanism)
    refused = refer(
        reception, adult_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"


def test_an_appointed_guardian_is_notified_and_records_the_childs_views(mechanism):
    reception, case_id = child_in_child_protection(mechanism)
    guardianship = mechanism.org["South Guardianship Authority"]
    assert not _outbox("guardian.appointed").exists()
    step(
        mechanism.client("childworker"),
        case_id,
        "appoint-guardian",
        {"guardian_id": str(mechanism.user["guardian"].pk)},
    )
    notice = _outbox("guardian.appointed", guardianship).get()
    assert notice.payload["case_id"] == case_id
    assert notice.payload["guardian_id"] == str(mechanism.user["guardian"].pk)

    guardian = mechanism.client("guardian")
    body = {
        "views": "Synthetic: wants to stay in school.",
        "language": "ru",
        "interpreter_present": True,
    }
    recorded = step(guardian, case_id, "record-child-views", body)["result"]
    assert recorded["language"] == "ru" and recorded["interpreter_present"] is True
    event = AuditEvent.objects.get(action="child.views_recorded", case_id=case_id)
    assert "Synthetic" not in str(event.extra)
    # Refusals: staff do not record the child's views (their role lacks it),
    # nobody records views on an adult's case, an empty text is a 400.
    refused = step(reception, case_id, "record-child-views", body, expect=403)
    assert refused["code"] == "forbidden"
    step(guardian, case_id, "record-child-views", {**body, "views": "  "}, expect=400)
    step(guardian, case_id, "record-child-views", {"views": "x"}, expect=400)


# Finding 5: age assessment, majority, best interests, a missing child.


def test_a_rebutted_presumption_of_minority_ends_the_guardianship(year_end, mechanism):
    reception, case_id = child_with_guardian(mechanism)
    childworker = mechanism.client("childworker")
    guardian = mechanism.client("guardian")
    today = timezone.localdate().isoformat()
    # In doubt, the benefit stays with the person: still a child.
    step(
        childworker,
        case_id,
        "record-age-assessment",
        {"method": "interview", "result": "undetermined", "assessed_on": today},
    )
    assert Case.objects.get(pk=case_id).person.is_child is True
    assert guardian.get(f"/api/v1/cases/{case_id}/").status_code == 200
    # Refusals: the reception centre may not assess age; a date in the
    # future and an unknown method are 400s; nothing was written by them.
    refused = step(
        reception,
        case_id,
        "record-age-assessment",
        {"method": "interview", "result": "adult", "assessed_on": today},
        expect=403,
    )
    assert refused["code"] == "forbidden"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = step(
        childworker,
        case_id,
        "record-age-assessment",
        {"method": "interview", "result": "adult", "assessed_on": tomorrow},
        expect=400,
    )
    assert refused["code"] == "assessed_on_in_future"
    step(
        childworker,
        case_id,
        "record-age-assessment",
        {"method": "x-ray", "result": "adult", "assessed_on": today},
        expect=400,
    )
    assert AgeAssessment.objects.filter(case_id=case_id).count() == 1

    # Majority confirmed: the presumption and the guardianship end, audited.
    result = step(
        childworker,
        case_id,
        "record-age-assessment",
        {"method": "multidisciplinary", "result": "adult", "assessed_on": today},
    )["result"]
    assert result["result"] == "adult"
    case = Case.objects.get(pk=case_id)
    assert case.person.is_child is False
    appointment = GuardianAppointment.objects.get(case_id=case_id)
    assert appointment.ended_at is not None
    assert appointment.end_reason == "majority_confirmed"
    ended = AuditEvent.objects.get(action="guardian.ended", case_id=case_id)
    assert ended.reason_code == "majority_confirmed"
    updated = AuditEvent.objects.get(action="person.updated", case_id=case_id)
    assert updated.reason_code == "majority_confirmed"
    assert _outbox("guardian.ended", mechanism.org["South Guardianship Authority"])
    assert guardian.get(f"/api/v1/cases/{case_id}/").status_code == 404
    # An adult is not assessed again as a child.
    refused = step(
        childworker,
        case_id,
        "record-age-assessment",
        {"method": "interview", "result": "adult", "assessed_on": today},
        expect=409,
    )
    assert refused["code"] == "not_a_child"


def test_an_age_assessment_is_recorded_by_the_competent_or_child_protection_authority(
    year_end, mechanism
):
    """Not by a shelter that accepted a referral for the child."""
    _, case_id = child_assisted_by_shelter(mechanism)
    today = timezone.localdate().isoformat()
    body = {"method": "documents", "result": "child", "assessed_on": today}
    refused = step(
        mechanism.client("caseworker"),
        case_id,
        "record-age-assessment",
        body,
        expect=403,
    )
    assert refused["code"] == "age_assessor_only"
    step(mechanism.client("childworker"), case_id, "record-age-assessment", body)


def test_a_birthday_passing_majority_raises_a_review_never_a_silent_change(mechanism):
    with time_machine.travel(PINNED, tick=False):
        # Born 2009-02-20: a presumed child until 2027-02-20.
        _, case_id = child_with_guardian(mechanism, date_of_birth="2009-02-20")
        assert "0 case(s) past the recorded age of majority" in _sweep()
        assert not Deadline.objects.filter(kind="majority_review").exists()
    with time_machine.travel(PINNED + timedelta(days=20), tick=False):
        assert "1 case(s) past the recorded age of majority" in _sweep()
        # Raised once: a second sweep finds the review already open.
        assert "0 case(s) past the recorded age of majority" in _sweep()
    review = Deadline.objects.get(case_id=case_id, kind="majority_review")
    assert review.organisation == mechanism.reception_centre
    assert _outbox("child.majority_reached", mechanism.reception_centre).count() == 1
    guardianship = mechanism.org["South Guardianship Authority"]
    assert _outbox("child.majority_reached", guardianship).count() == 1
    # Never a silent change: still presumed a child, the guardian still acts.
    case = Case.objects.get(pk=case_id)
    assert case.person.is_child is True
    assert GuardianAppointment.objects.get(case_id=case_id).ended_at is None
    # The date of birth stays sealed: no clear value in the trail or outbox.
    assert "2009" not in str(
        list(OutboxMessage.objects.values_list("payload", flat=True))
    )
    assert AuditEvent.objects.filter(
        action="child.majority_reached", case_id=case_id
    ).exists()
    # The review is answered by an age assessment (here: still a child).
    with time_machine.travel(PINNED + timedelta(days=21), tick=False):
        step(
            mechanism.client("childworker"),
            case_id,
            "record-age-assessment",
            {
                "method": "documents",
                "result": "child",
                "assessed_on": timezone.localdate().isoformat(),
            },
        )
    review.refresh_from_db()
    assert review.met_at is not None
    assert Case.objects.get(pk=case_id).person.is_child is True


def test_best_interests_are_assessed_by_child_protection_or_guardianship_only(
    mechanism,
):
    """A case worker of the shelter that accepted a referral for the child
    holds the case but may not record the best-interests assessment."""
    _, case_id = child_assisted_by_shelter(mechanism)
    body = {"recommendation": "remain", "summary": "Synthetic summary."}
    caseworker = mechanism.client("caseworker")
    assert caseworker.get(f"/api/v1/cases/{case_id}/").status_code == 200
    refused = step(caseworker, case_id, "record-best-interests", body, expect=403)
    assert refused["code"] == "child_protection_only"
    step(mechanism.client("childworker"), case_id, "record-best-interests", body)


def test_a_missing_child_alerts_the_police_contact_and_starts_an_overdue_clock(
    mechanism,
):
    police = mechanism.org["North Border Police"]
    _profile(police_contact=police)
    reception, case_id = child_with_guardian(mechanism)
    step(reception, case_id, "suspend", {"reason": "child_missing"})
    alert = _outbox("child.missing", police).get()
    assert alert.payload["case_id"] == case_id
    assert alert.payload["urgency"] == "immediate_danger"
    clock = Deadline.objects.get(case_id=case_id, kind="missing_child")
    assert clock.organisation == mechanism.reception_centre
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        _sweep()
    clock.refresh_from_db()
    assert clock.overdue_notified_at is not None
    step(reception, case_id, "resume")
    clock.refresh_from_db()
    assert clock.met_at is not None
    # Refusals: an adult is not reported as a missing child; contact lost
    # raises no alert.
    reception, adult_id = to_assessment(mechanism)
    refused = step(
        reception, adult_id, "suspend", {"reason": "child_missing"}, expect=409
    )
    assert refused["code"] == "not_a_child"
    step(reception, adult_id, "suspend", {"reason": "contact_lost"})
    assert _outbox("child.missing").count() == 1


def test_without_a_police_contact_the_registering_centre_gets_the_missing_child_alert(
    mechanism,
):
    reception, case_id = child_with_guardian(mechanism)
    step(reception, case_id, "suspend", {"reason": "child_missing"})
    assert _outbox("child.missing", mechanism.reception_centre).count() == 1


# Finding 6: independent reconsideration.


def test_a_reconsideration_is_decided_by_the_second_authority_on_request(mechanism):
    """The profile names a second authority: a case worker of the shelter
    assisting the person asks on the person's behalf; the second authority
    decides; the registering centre and the shelter are told."""
    _profile(reconsideration_authority=mechanism.second_authority)
    reception, case_id = to_assessment(mechanism)
    consent(reception, case_id, mechanism.shelter, "shelter")
    shelter_referral = refer(reception, case_id, mechanism.shelter, "shelter")
    caseworker = mechanism.client("caseworker")
    answer(caseworker, shelter_referral["id"], "accept")
    decide(mechanism.client("decider"), case_id, "reasonable_grounds", False)
    for organisation in (mechanism.reception_centre, mechanism.shelter):
        assert _outbox("decision.taken", organisation).count() == 1

    regional = mechanism.client("regional_decider")
    # Refusals: nothing to decide before a request (the second authority
    # does not even see the case), the first authority no longer
    # reconsiders, and the authority is not an assisting organisation.
    decide(regional, case_id, "reconsideration", True, expect=404)
    refused = decide(
        mechanism.client("second_decider"), case_id, "reconsideration", True, expect=403
    )
    assert refused["code"] == "not_the_reconsidering_authority"
    refused = request_reconsideration(mechanism.client("idworker"), case_id, expect=403)
    assert refused["code"] == "not_assisting"
    step(
        caseworker, case_id, "request-reconsideration", {"by_person": True}, expect=400
    )
    # The shelter asks for the person, never on its own account.
    refused = request_reconsideration(caseworker, case_id, by_person=False, expect=403)
    assert refused["code"] == "person_request_only"

    made = request_reconsideration(caseworker, case_id, by_person=True)
    assert made["by_person"] is True
    assert made["organisation"]["id"] == str(mechanism.shelter.pk)
    assert (
        _outbox(
            "decision.reconsideration_requested", mechanism.second_authority
        ).count()
        == 1
    )
    refused = request_reconsideration(reception, case_id, expect=409)
    assert refused["code"] == "reconsideration_already_requested"

    decided = decide(regional, case_id, "reconsideration", True)["result"]
    assert decided["organisation"]["id"] == str(mechanism.second_authority.pk)
    assert state_of(case_id) == "presumed_victim"
    for organisation in (mechanism.reception_centre, mechanism.shelter):
        assert _outbox("decision.taken", organisation).count() == 2
    # The authority whose decision was reviewed is told of the outcome; it
    # was not told of its own decision.
    assert _outbox("decision.taken", mechanism.authority).count() == 1
    assert Deadline.objects.get(case_id=case_id, kind="reconsideration").met_at


def test_nobody_reconsiders_their_own_decision(mechanism):
    """The default profile names no second authority: the same authority
    reconsiders, through another decision maker, on the registering
    centre's request."""
    reception, case_id = to_assessment(mechanism)
    decider = mechanism.client("decider")
    second = mechanism.client("second_decider")
    decide(decider, case_id, "reasonable_grounds", False)
    refused = decide(second, case_id, "reconsideration", True, expect=409)
    assert refused["code"] == "reconsideration_not_requested"
    request_reconsideration(reception, case_id, by_person=False)
    refused = decide(decider, case_id, "reconsideration", True, expect=403)
    assert refused["code"] == "same_decision_maker"
    decide(second, case_id, "reconsideration", True)
    assert state_of(case_id) == "presumed_victim"
    # Nothing to reconsider any more: the request step is refused by state.
    refused = request_reconsideration(reception, case_id, expect=409)
    assert refused["code"] == "invalid_state"


# Finding 7: rights information before consent.


def test_consent_needs_the_person_informed_of_their_rights_first(year_end, mechanism):
    reception, case_id = to_referral_pending(mechanism)
    body = {
        "to_organisation_id": str(mechanism.authority.pk),
        "purpose": "identification",
        "given": True,
        "language": "ru",
    }
    refused = step(reception, case_id, "record-consent", body, expect=409)
    assert refused["code"] == "rights_information_required"
    assert refused["detail"] == {"missing_step": "inform-of-rights"}
    # Malformed: an unknown script, a date in the future, free-text language.
    inform_of_rights(reception, case_id, script="my-own-words", expect=400)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = inform_of_rights(reception, case_id, informed_on=tomorrow, expect=400)
    assert refused["code"] == "informed_on_in_future"
    inform_of_rights(reception, case_id, language="Russian please", expect=400)
    # Wrong role: the decision maker does not inform (nor see the case yet).
    decider = mechanism.client("decider")
    inform_of_rights(decider, case_id, expect=404)
    assert not RightsInformation.objects.filter(case_id=case_id).exists()

    informed = inform_of_rights(reception, case_id, script="rights_leaflet_v1")
    assert informed["script"] == "rights_leaflet_v1"
    assert informed["language"] == "ru" and informed["interpreter_present"] is True
    assert informed["informed_on"] == timezone.localdate().isoformat()
    assert informed["informed_by_id"] == str(mechanism.user["reception"].pk)
    step(reception, case_id, "record-consent", body)


def test_the_rights_page_shows_the_script_in_the_officers_language(mechanism):
    reception_user = mechanism.user["reception"]
    _, case_id = to_referral_pending(mechanism)
    client = signed_in(Client(), reception_user)
    client.post("/language/", {"language": "ru", "next": "/"})
    url = step_url(Case.objects.get(pk=case_id), STEPS["inform-of-rights"])
    page = client.get(url).content.decode()
    assert "Вы можете быть жертвой торговли людьми" in page
    client.post("/language/", {"language": "el", "next": "/"})
    page = client.get(url).content.decode()
    assert "εμπορίας ανθρώπων" in page
    # The page posts through the step: a recorded, informed person.
    response = client.post(url, {"script": "rights_script_v1", "language": "ru"})
    assert response.status_code == 302
    assert RightsInformation.objects.filter(case_id=case_id).count() == 1


# Finding 9: the three access defects.


def test_child_protection_is_checked_at_the_organisation_holding_the_case(
    mechanism,
):
    """A case worker whose other membership is at an unrelated guardianship
    authority does not appoint through the shelter holding the case."""
    _, case_id = child_assisted_by_shelter(mechanism)
    caseworker = mechanism.user["caseworker"]
    nrm_services.membership_create(
        user=caseworker,
        organisation=mechanism.org["South Guardianship Authority"],
        role=Role.CASE_WORKER,
    )
    client = mechanism.client("caseworker")
    body = {"guardian_id": str(mechanism.user["guardian"].pk)}
    refused = step(client, case_id, "appoint-guardian", body, expect=403)
    assert refused["code"] == "child_protection_only"
    refused = step(
        client,
        case_id,
        "record-best-interests",
        {"recommendation": "remain", "summary": "Synthetic."},
        expect=403,
    )
    assert refused["code"] == "child_protection_only"
    step(mechanism.client("childworker"), case_id, "appoint-guardian", body)


def test_a_reception_centre_supervisor_cannot_appoint_a_guardian(mechanism):
    reception = mechanism.client("reception")
    case = register(reception, child_payload())
    screen(reception, case["id"], [])
    body = {"guardian_id": str(mechanism.user["guardian"].pk)}
    refused = step(
        mechanism.client("supervisor"), case["id"], "appoint-guardian", body, expect=403
    )
    assert refused["code"] == "child_protection_only"
    assert not GuardianAppointment.objects.filter(case_id=case["id"]).exists()
    answer(
        mechanism.client("childworker"),
        Referral.objects.get(case_id=case["id"]).pk,
        "accept",
    )
    step(mechanism.client("childworker"), case["id"], "appoint-guardian", body)
