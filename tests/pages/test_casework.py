"""The case-work pages through Django's test client: each posts to one
service, redirects with a message, and shows a refusal as a message with the
form kept. Personal data appears only on the case page, through the audited
read."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from nrm.audit import Event
from nrm.models import AuditEvent
from referral.models import Case, Consent, Referral
from tests.support.casework import (
    consent,
    inform_of_rights,
    page_client,
    register,
    screen,
)
from tests.support.mechanism import presumed_adult_codes

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def reads_of(case) -> int:
    return AuditEvent.objects.filter(case_id=case.pk, action=Event.PERSON_READ).count()


def register_form(**overrides) -> dict:
    data = {
        "given_names": "Testgivenpage",
        "family_name": "Testfamilypage",
        "date_of_birth": "1991-02-03",
        "sex": "female",
        "age_group": "25-34",
        "citizenship": "xb",
        "language": "ru",
        "reception_stage": "registration_screening",
        "asylum_status": "applied",
        "exploitation_forms": ["labour"],
        "notes": "Synthetic narrative for a page test.",
    }
    data.update(overrides)
    return data


# Registration


def test_registering_opens_the_case_and_says_a_supervisor_will_review(mechanism):
    client = page_client("reception")
    response = client.post("/cases/new/", register_form(), follow=True)
    case = Case.objects.get()
    assert response.redirect_chain == [(f"/cases/{case.pk}/#next-steps", 302)]
    assert case.person.citizenship == "XB"
    assert messages_of(response) == [f"Case {case.reference} opened."]

    again = client.post("/cases/new/", register_form(), follow=True)
    assert Case.objects.count() == 2
    notes = [m for m in messages_of(again) if "duplicate" in m]
    # No count, no place: only that a supervisor will review.
    assert notes == [
        "A supervisor will review a possible duplicate registration. "
        "Go on with the case meanwhile."
    ]


def test_an_invalid_registration_keeps_the_form_and_saves_nothing(mechanism):
    response = page_client("reception").post(
        "/cases/new/", register_form(given_names="", citizenship="Narnia")
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert "Testfamilypage" in body  # what was typed stays in the form


@time_machine.travel("2026-05-16 10:00:00+00:00", tick=False)
def test_a_date_of_birth_in_the_future_is_refused_on_the_page(mechanism):
    response = page_client("reception").post(
        "/cases/new/", register_form(date_of_birth="3966-05-16")
    )
    assert response.status_code == 400
    assert "A date of birth cannot be in the future." in response.content.decode()
    assert Case.objects.count() == 0


# The case page and the list


def test_the_case_page_reads_the_person_through_the_audited_read(referred):
    case = referred.case
    before = reads_of(case)
    response = page_client("reception").get(f"/cases/{case.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Testgiven" in body and "Testfamily" in body
    assert reads_of(case) == before + 1
    assert 'id="timeline"' in body
    assert "Referral sent" in body
    assert "Registered → Referral pending" in body
    assert "Reasonable-grounds decision" in body  # the deadline


def test_the_case_list_shows_no_names_and_reads_no_personal_data(referred):
    before = reads_of(referred.case)
    response = page_client("reception").get("/cases/")
    body = response.content.decode()
    assert referred.case.reference in body
    assert "Testgiven" not in body and "Testfamily" not in body
    assert reads_of(referred.case) == before


def test_the_case_list_filters_by_state_and_overdue(referred):
    reception = referred.user("reception")
    other = register(reception)
    client = page_client("reception")
    body = client.get("/cases/?state=registered").content.decode()
    assert other.reference in body and referred.case.reference not in body
    assert (
        referred.case.reference not in client.get("/cases/?overdue=1").content.decode()
    )
    with time_machine.travel(timezone.now() + timedelta(days=14)):
        late = page_client("reception").get("/cases/?overdue=1").content.decode()
    assert referred.case.reference in late and other.reference not in late


def test_the_case_list_costs_the_same_queries_for_one_case_or_many(
    referred, django_assert_max_num_queries
):
    client = page_client("reception")
    client.get("/cases/")  # warm the session
    reception = referred.user("reception")
    with django_assert_max_num_queries(20) as small:
        client.get("/cases/")
    for _ in range(5):
        register(reception)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/cases/")


def test_the_next_steps_are_the_users_own(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception)
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    for name in ["screen", "flag-for-referral", "inform-of-rights", "close"]:
        assert f'data-step="{name}"' in body
    # Consent is offered once the person was informed of their rights.
    assert 'data-step="record-consent"' not in body
    inform_of_rights(reception, case)
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    assert 'data-step="record-consent"' in body
    supervisor = page_client("supervisor").get(f"/cases/{case.pk}/").content.decode()
    assert 'data-step="close"' in supervisor
    assert 'data-step="screen"' not in supervisor


# Screening


def test_the_interview_records_the_screening_and_shows_the_assessment(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception)
    client = page_client("reception")
    form = client.get(f"/cases/{case.pk}/screen/")
    assert form.status_code == 200
    assert form.content.decode().count('name="codes"') > 20
    response = client.post(
        f"/cases/{case.pk}/screen/?catalogue=ilo-2009-adult-labour",
        {
            "catalogue_id": "ilo-2009-adult-labour",
            "codes": presumed_adult_codes(),
            "interpreter_language": "ru",
            "notes": "Synthetic interview note.",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/#next-steps"
    assert Case.objects.get(pk=case.pk).state == "referral_pending"
    body = response.content.decode()
    assert "Latest assessment:" in body
    assert "Presumed: the combination rule is met." in body
    assert "the combination rule is met." in body


def test_the_interview_is_in_the_officers_language(mechanism):
    reception = mechanism.user["reception"]
    reception.preferred_language = "ru"
    reception.save(update_fields=["preferred_language"])
    case = register(reception)
    body = page_client("reception").get(f"/cases/{case.pk}/screen/").content.decode()
    assert 'lang="ru"' in body
    assert "Записать результат опроса" in body  # the button, in Russian
    # ... and the indicator prompts from the catalogue, in Russian too.
    from indicators import catalogue

    first = catalogue.get("ilo-2009-adult-labour").indicators[0]
    assert first.prompt["ru"] in body


def test_unknown_indicator_codes_are_refused_with_a_message(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception)
    response = page_client("reception").post(
        f"/cases/{case.pk}/screen/",
        {"catalogue_id": "ilo-2009-adult-labour", "codes": ["no-such-code"]},
    )
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == "registered"


# Consent and referrals


def test_consent_is_recorded_per_organisation_and_purpose(mechanism):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    inform_of_rights(reception, case)
    client = page_client("reception")
    page = client.get(f"/cases/{case.pk}/consents/new/?purpose=identification")
    body = page.content.decode()
    assert "National Identification Authority (suggested by the pathway)" in body
    response = client.post(
        f"/cases/{case.pk}/consents/new/",
        {
            "purpose": "identification",
            "to_organisation_id": str(mechanism.authority.pk),
            "given": "yes",
            "language": "ru",
            "interpreter_used": "on",
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Consent recorded: National Identification Authority, for Identification."
    ]
    recorded = Consent.objects.get(case=case)
    assert recorded.given and recorded.interpreter_used
    assert recorded.given_by == "person"


def test_sending_without_consent_is_refused_with_a_message_and_the_form_kept(
    mechanism,
):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    response = page_client("reception").post(
        f"/cases/{case.pk}/referrals/new/?purpose=identification",
        {
            "purpose": "identification",
            "to_organisation_id": str(mechanism.authority.pk),
            "urgency": "urgent",
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="page-error"' in body
    assert "No consent in force for sharing this person&#x27;s data" in body
    assert 'value="urgent" selected' in body
    assert Referral.objects.count() == 0
    assert Case.objects.get(pk=case.pk).state == "referral_pending"


def test_the_referral_goes_with_consent(mechanism):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    consent(reception, case, mechanism.authority)
    response = page_client("reception").post(
        f"/cases/{case.pk}/referrals/new/",
        {
            "purpose": "identification",
            "to_organisation_id": str(mechanism.authority.pk),
            "urgency": "routine",
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Referral sent to National Identification Authority, for Identification."
    ]
    assert Case.objects.get(pk=case.pk).state == "referred"


def test_a_refusal_is_shown_in_the_readers_language(mechanism):
    reception = mechanism.user["reception"]
    reception.preferred_language = "el"
    reception.save(update_fields=["preferred_language"])
    case = screen(reception, register(reception))
    response = page_client("reception").post(
        f"/cases/{case.pk}/referrals/new/",
        {
            "purpose": "identification",
            "to_organisation_id": str(mechanism.authority.pk),
            "urgency": "routine",
        },
    )
    assert response.status_code == 409
    assert "συγκατάθεση" in response.content.decode()


# The inbox and the answer


def test_the_inbox_discloses_no_names_until_accepted(referred):
    idworker = page_client("idworker")
    inbox = idworker.get("/referrals/inbox/").content.decode()
    assert f"/referrals/{referred.referral.pk}/" in inbox
    assert "Testgiven" not in inbox and "Testfamily" not in inbox
    assert f"/cases/{referred.case.pk}/" not in inbox
    detail = idworker.get(f"/referrals/{referred.referral.pk}/").content.decode()
    assert 'id="minimal-disclosure"' in detail
    assert f"/cases/{referred.case.pk}/" not in detail
    assert "Testgiven" not in detail
    assert "North Reception Centre" not in detail  # the minimal view only


def test_accepting_opens_the_case_to_the_receiving_organisation(referred):
    idworker = page_client("idworker")
    response = idworker.post(
        f"/referrals/{referred.referral.pk}/", {"answer": "accept"}, follow=True
    )
    assert messages_of(response) == ["Referral accepted."]
    assert 'id="open-case"' in response.content.decode()
    assert Case.objects.get(pk=referred.case.pk).state == "assessment"
    assert idworker.get(f"/cases/{referred.case.pk}/").status_code == 200


def test_declining_needs_a_reason(referred):
    idworker = page_client("idworker")
    url = f"/referrals/{referred.referral.pk}/"
    missing = idworker.post(url, {"answer": "decline", "reason": ""})
    assert missing.status_code == 400
    assert Referral.objects.get(pk=referred.referral.pk).state == "sent"
    response = idworker.post(
        url, {"answer": "decline", "reason": "no_capacity"}, follow=True
    )
    assert messages_of(response) == ["Referral declined."]
    assert Referral.objects.get(pk=referred.referral.pk).state == "declined"
    assert Case.objects.get(pk=referred.case.pk).state == "referral_pending"


def test_a_supervisor_sees_the_referral_but_cannot_answer_it(referred):
    body = page_client("supervisor").get(f"/referrals/{referred.referral.pk}/")
    assert 'id="accept-form"' not in body.content.decode()
    refused = page_client("supervisor").post(
        f"/referrals/{referred.referral.pk}/", {"answer": "accept"}
    )
    assert refused.status_code == 403
    assert Referral.objects.get(pk=referred.referral.pk).state == "sent"


# Decisions and deadlines


def test_the_decision_maker_decides_from_the_queue(referred):
    services_accept(referred)
    decider = page_client("decider")
    queue = decider.get("/decisions/").content.decode()
    assert f"/cases/{referred.case.pk}/" in queue
    assert "Reasonable-grounds decision" in queue
    case_page = decider.get(f"/cases/{referred.case.pk}/").content.decode()
    assert 'data-step="decide-reasonable-grounds"' in case_page
    url = f"/cases/{referred.case.pk}/steps/decide-reasonable-grounds/"
    form = decider.get(url).content.decode()
    assert 'name="positive"' in form and 'name="reasons"' in form
    without_reasons = decider.post(url, {"positive": "yes", "reasons": ""})
    assert without_reasons.status_code == 400
    response = decider.post(
        url, {"positive": "yes", "reasons": "Synthetic reasons."}, follow=True
    )
    assert messages_of(response) == ["Done: Reasonable-grounds decision."]
    assert Case.objects.get(pk=referred.case.pk).state == "presumed_victim"


def test_a_step_the_state_no_longer_allows_is_refused_on_the_form(referred):
    client = page_client("reception")
    url = f"/cases/{referred.case.pk}/steps/flag-for-referral/"
    assert client.get(url).status_code == 403  # not a step for this state
    response = client.post(url, {"reason_code": "urgent_danger"})
    assert response.status_code == 409
    assert "This step is not possible in the current state." in (
        response.content.decode()
    )


def test_unknown_steps_and_cases_answer_404_pages(referred):
    client = page_client("reception")
    assert client.get(f"/cases/{referred.case.pk}/steps/fly/").status_code == 404
    missing = client.get("/cases/00000000-0000-4000-8000-000000000000/")
    assert missing.status_code == 404
    assert "Not found" in missing.content.decode()


def test_the_overdue_list_shows_unanswered_referrals(referred):
    with time_machine.travel(timezone.now() + timedelta(days=14)):
        supervisor = page_client("supervisor").get("/deadlines/overdue/")
        idworker = page_client("idworker").get("/deadlines/overdue/")
    body = supervisor.content.decode()
    assert f"/cases/{referred.case.pk}/" in body
    assert "Overdue" in body
    # The authority answers for the referral but does not see the case yet.
    other = idworker.content.decode()
    assert f"/referrals/{referred.referral.pk}/" in other
    assert f"/cases/{referred.case.pk}/" not in other


def services_accept(referred) -> None:
    from referral import services

    services.referral_accept(
        actor=referred.user("idworker"), referral_id=referred.referral.pk
    )
