"""The person's rights on pages: the subject-access package after a
confirmation, erasure after two, the trail of both; and the refusals (wrong
role, another organisation, a missing or wrong confirmation, twice)."""

from __future__ import annotations

import json

import pytest

from nrm.models import AuditEvent
from referral.models import Case
from tests.support.casework import page_client, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(mechanism) -> Case:
    return register(mechanism.user["reception"])


def url(case, part=""):
    return f"/cases/{case.pk}/rights/{part}"


def events(case, action) -> int:
    return AuditEvent.objects.filter(case_id=case.pk, action=action).count()


def test_the_supervisor_sees_both_rights_and_the_trail(case):
    response = page_client("supervisor").get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="subject-actions"' in body and 'id="subject-trail"' in body
    assert url(case, "access/") in body and url(case, "erase/") in body
    assert "Person registered" in body  # the trail, from the audit rows


@pytest.mark.parametrize("username", ["reception", "caseworker", "rapporteur"])
def test_other_roles_are_refused(case, username):
    client = page_client(username)
    for part in ("", "access/", "erase/"):
        assert client.get(url(case, part)).status_code in (403, 404)
    response = client.post(
        url(case, "erase/"),
        {"step": "2", "understood": "on", "reference": case.reference},
    )
    assert response.status_code in (403, 404)
    assert not Case.objects.get(pk=case.pk).person.is_erased


def test_a_case_of_another_organisation_is_not_found(mechanism):
    other = register(mechanism.user["south_reception"])
    assert page_client("supervisor").get(url(other)).status_code == 404


def test_the_package_needs_the_identity_confirmation(case):
    client = page_client("supervisor")
    assert client.get(url(case, "access/")).status_code == 200
    refused = client.post(url(case, "access/"), {})
    assert refused.status_code == 400
    assert events(case, "person.subject_access_exported") == 0

    response = client.post(url(case, "access/"), {"identity_checked": "on"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert case.reference in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["person"]["family_name"] == case.person.family_name
    assert events(case, "person.subject_access_exported") == 1
    trail = client.get(url(case)).content.decode()
    assert "Subject access export" in trail


def test_erasure_takes_two_confirmations(case):
    client = page_client("supervisor")
    first = client.get(url(case, "erase/"))
    assert first.status_code == 200 and "Step 1 of 2" in first.content.decode()

    unconfirmed = client.post(url(case, "erase/"), {"step": "1"})
    assert unconfirmed.status_code == 400
    second = client.post(url(case, "erase/"), {"step": "1", "understood": "on"})
    assert second.status_code == 200 and "Step 2 of 2" in second.content.decode()
    assert not Case.objects.get(pk=case.pk).person.is_erased

    wrong = client.post(
        url(case, "erase/"), {"step": "2", "understood": "on", "reference": "00000000"}
    )
    assert wrong.status_code == 400
    assert "not this case" in wrong.content.decode()
    assert not Case.objects.get(pk=case.pk).person.is_erased

    done = client.post(
        url(case, "erase/"),
        {"step": "2", "understood": "on", "reference": case.reference.lower()},
    )
    assert done.status_code == 302 and done["Location"] == url(case)
    assert Case.objects.get(pk=case.pk).person.is_erased
    assert events(case, "person.erased") == 1
    page = client.get(url(case)).content.decode()
    assert 'id="person-erased"' in page and "Personal data erased" in page

    again = client.post(
        url(case, "erase/"),
        {"step": "2", "understood": "on", "reference": case.reference},
    )
    assert again.status_code == 409
    assert events(case, "person.erased") == 1
    gone = client.post(url(case, "access/"), {"identity_checked": "on"})
    assert gone.status_code == 410


def test_the_case_page_links_to_the_rights(case):
    page = page_client("supervisor").get(f"/cases/{case.pk}/").content.decode()
    assert url(case) in page
