"""The supervisor's page of possible duplicate registrations."""

from __future__ import annotations

import pytest
import time_machine

from nrm.models import AuditEvent
from referral.models import DuplicateReview
from tests.pages.conftest import page_client
from tests.referral.conftest import person_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(mechanism):
    payload = person_payload()
    with time_machine.travel("2026-04-01 09:00:00+00:00", tick=False):
        for username in ("south_reception", "reception"):
            client = mechanism.client(username)
            assert (
                client.post("/api/v1/cases/", payload, format="json").status_code == 201
            )
    return DuplicateReview.objects.get()


def test_the_supervisor_sees_and_resolves_a_possible_duplicate(mechanism, review):
    client = page_client("supervisor")
    listing = client.get("/duplicates/")
    assert listing.status_code == 200
    assert f"/duplicates/{review.pk}/" in listing.content.decode()
    assert 'href="/duplicates/"' in listing.content.decode()  # in the menu
    page = client.get(f"/duplicates/{review.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "South Reception Centre" in body and 'id="resolve-form"' in body
    assert AuditEvent.objects.filter(action="person.duplicate_review_read").count() == 1
    done = client.post(
        f"/duplicates/{review.pk}/", {"outcome": "different_people"}, follow=True
    )
    assert done.redirect_chain == [("/duplicates/", 302)]
    assert 'id="no-duplicates"' in done.content.decode()
    review.refresh_from_db()
    assert review.outcome == "different_people"
    again = client.post(
        f"/duplicates/{review.pk}/", {"outcome": "same_person"}, follow=True
    )
    assert "resolved already" in again.content.decode()
    bad = client.post(f"/duplicates/{review.pk}/", {"outcome": "maybe"}, follow=True)
    assert bad.status_code == 200
    review.refresh_from_db()
    assert review.outcome == "different_people"


def test_other_roles_and_organisations_are_refused(mechanism, review):
    for username in ("reception", "caseworker", "rapporteur"):
        client = page_client(username)
        assert client.get("/duplicates/").status_code == 403, username
        assert client.get(f"/duplicates/{review.pk}/").status_code == 403, username
        response = client.post(f"/duplicates/{review.pk}/", {"outcome": "same_person"})
        assert response.status_code == 403, username
    assert (
        page_client("supervisor")
        .get("/duplicates/00000000-0000-4000-8000-000000000000/")
        .status_code
        == 404
    )
    review.refresh_from_db()
    assert review.resolved_at is None
