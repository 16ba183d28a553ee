"""The case page leads the way: the step the workflow recommends is the
primary button, with its reason; steps a guard holds back are shown disabled
with the guard's reason and a link to the step that lifts it; a refused step
page says why and leads back to the case. Finding a case: by number, state,
deadline and by name through the blind index, each search audited."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from nrm.audit import Event
from nrm.models import AuditEvent
from referral import services
from tests.support.casework import (
    consent,
    inform_of_rights,
    page_client,
    register,
    screen,
)

pytestmark = pytest.mark.django_db


def primary_steps(body: str) -> list[str]:
    return re.findall(r'data-step="([a-z-]+)" data-primary="true"', body)


def test_a_registered_case_recommends_the_screening(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception)
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    assert primary_steps(body) == ["screen"]
    assert "Record a screening: the person has not been screened yet" in body
    # Steps bound to fail are disabled, with the guard's reason and the way on.
    assert 'data-blocked-step="send-referral"' in body
    assert 'data-blocked-step="notify-anonymously"' in body
    assert "Record the person&#x27;s refusal of consent first." in body
    # Consent needs the rights information first: the way on is that step.
    rights = reverse("case-step", args=[case.pk, "inform-of-rights"])
    assert f'href="{rights}" data-unblocks="send-referral"' in body


def test_after_a_presumed_screening_consent_is_recommended_then_the_referral(
    mechanism,
):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    client = page_client("reception")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert primary_steps(body) == ["inform-of-rights"]
    assert "before being asked to consent" in body
    inform_of_rights(reception, case)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert primary_steps(body) == ["record-consent"]
    assert "Record consent: the screening found indicators of trafficking" in body
    consent(reception, case, mechanism.authority)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert primary_steps(body) == ["send-referral"]
    assert 'data-blocked-step="send-referral"' not in body


def test_a_blocked_step_page_says_why_and_leads_back_to_the_case(mechanism):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    response = page_client("reception").get(f"/cases/{case.pk}/referrals/new/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "No consent in force for sharing this person" in body
    rights = reverse("case-step", args=[case.pk, "inform-of-rights"])
    assert f'id="refusal-fix" href="{rights}"' in body
    assert f'href="/cases/{case.pk}/#next-steps" id="refusal-back"' in body


def searches() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Event.CASES_SEARCHED).order_by("id"))


def test_a_name_in_another_spelling_finds_the_person_and_is_audited(mechanism):
    reception = mechanism.user["reception"]
    wanted = register(
        reception,
        given_names="Алёна",
        family_name="Тестова-Фёдорова",
        date_of_birth="1994-06-07",
    )
    register(reception, given_names="Алёна", family_name="Тестова")
    client = page_client("reception")
    response = client.post(
        "/cases/search/",
        {
            "family_name": "АЛЕНА",
            "given_names": "тестова федорова",
            "date_of_birth": "1994-06-07",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f">{wanted.reference}</a>" in body
    assert body.count('<th scope="row">') == 1
    # A part of the name finds nothing: no substring search over clear text.
    partial = client.post(
        "/cases/search/",
        {
            "family_name": "Тестова",
            "given_names": "Алёна",
            "date_of_birth": "1994-06-07",
        },
    )
    assert 'id="no-results"' in partial.content.decode()
    [first, second] = searches()
    assert first.actor == reception and first.reason_code == "name"
    assert first.extra == {"criteria": ["name"], "matches": 1}
    assert second.extra == {"criteria": ["name"], "matches": 0}
    assert "Тестова" not in str(first.extra) + first.reason_code


def test_search_by_case_number_state_and_deadline(mechanism):
    reception = mechanism.user["reception"]
    screened = screen(reception, register(reception))
    other = register(reception)
    client = page_client("reception")
    body = client.post(
        "/cases/search/", {"reference": screened.reference.lower()}
    ).content.decode()
    assert screened.reference in body and other.reference not in body
    body = client.post("/cases/search/", {"state": "registered"}).content.decode()
    assert other.reference in body and screened.reference not in body
    body = client.post("/cases/search/", {"due_by": "2999-01-01"}).content.decode()
    assert 'id="no-results"' in body  # no case has an open deadline yet
    assert [e.extra["criteria"] for e in searches()] == [
        ["reference"],
        ["state"],
        ["deadline"],
    ]


def test_an_empty_search_is_refused_with_a_message_and_not_audited(mechanism):
    response = page_client("reception").post("/cases/search/", {})
    assert response.status_code == 400
    assert "Give at least one thing to search by." in response.content.decode()
    assert searches() == []


def test_a_name_search_never_puts_the_name_in_a_url(mechanism):
    body = page_client("reception").get("/cases/search/").content.decode()
    assert re.search(r'<form method="post" action="/cases/search/"', body)


# Every step on a page


def test_consent_is_withdrawn_from_the_case_page_after_a_confirmation(mechanism):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    given = consent(reception, case, mechanism.authority)
    client = page_client("reception")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    url = f"/cases/{case.pk}/consents/{given.pk}/withdraw/"
    assert f'href="{url}"' in body
    refused = client.post(url, {})
    assert refused.status_code == 400
    response = client.post(url, {"confirmed": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/#next-steps"
    assert AuditEvent.objects.filter(
        case_id=case.pk, action=Event.CONSENT_WITHDRAWN
    ).exists()
    assert f'href="{url}"' not in response.content.decode()


def test_the_sender_withdraws_an_unanswered_referral_on_its_page(referred):
    client = page_client("reception")
    url = f"/referrals/{referred.referral.pk}/"
    body = client.get(url).content.decode()
    assert 'data-step="withdraw"' in body
    assert 'data-step="expire"' not in body  # not due yet: not offered
    assert 'data-step="complete"' not in body  # the recipient's step
    response = client.post(url, {"answer": "withdraw"}, follow=True)
    assert response.status_code == 200
    referred.referral.refresh_from_db()
    assert referred.referral.state == "withdrawn"


def test_the_anonymous_notification_inbox_lists_what_the_authority_was_told(
    mechanism,
):
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    inform_of_rights(reception, case)
    services.consent_record(
        actor=reception,
        case_id=case.pk,
        to_organisation_id=mechanism.authority.pk,
        purpose="identification",
        given=False,
        language="ru",
    )
    client = page_client("reception")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert primary_steps(body) == ["notify-anonymously"]
    services.anonymous_notification_send(actor=reception, case_id=case.pk)
    inbox = page_client("idworker").get("/referrals/anonymous/")
    assert inbox.status_code == 200
    text = inbox.content.decode()
    assert "North Reception Centre" in text and "Female" in text
    assert case.reference not in text and "Testgiven" not in text


def test_a_guardian_is_chosen_by_name_with_their_authority(mechanism):
    reception = mechanism.user["reception"]
    child = register(
        reception, date_of_birth="2011-03-01", age_group="15-17", is_child=True
    )
    screen(reception, child)  # referred to child protection automatically
    referral = child.referrals.get()
    services.referral_accept(
        actor=mechanism.user["childworker"], referral_id=referral.pk
    )
    guardian = mechanism.user["guardian"]
    guardian.first_name, guardian.last_name = "Testguardian", "Example"
    guardian.save(update_fields=["first_name", "last_name"])
    body = (
        page_client("childworker")
        .get(f"/cases/{child.pk}/steps/appoint-guardian/")
        .content.decode()
    )
    assert (
        f'<option value="{guardian.pk}">Testguardian Example, '
        "South Guardianship Authority</option>"
    ) in body


def test_the_questionnaire_has_a_section_index_and_progress(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception)
    body = page_client("reception").get(f"/cases/{case.pk}/screen/").content.decode()
    sections = re.findall(r'<fieldset id="dimension-([a-z_]+)"', body)
    assert len(sections) > 2
    for number, section in enumerate(sections, start=1):
        assert f'<a href="#dimension-{section}"' in body
        assert f"section {number} of {len(sections)}" in body
    assert body.count('href="#section-index"') == len(sections)
