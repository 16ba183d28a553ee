"""Possible duplicate registrations: the officer learns only that a
supervisor will review; the registering organisation's supervisor sees the
matching cases and resolves; every lookup is audited."""

from __future__ import annotations

import pytest
import time_machine

from nrm.models import AuditEvent
from nrm.roles import Role
from referral.models import DuplicateReview
from tests.support.mechanism import person_payload

pytestmark = pytest.mark.django_db

REVIEWS = "/api/v1/duplicate-reviews/"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel("2026-04-01 09:00:00+00:00", tick=False):
        yield


def register(client, payload) -> dict:
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def duplicate(mechanism):
    """The same synthetic person registered in the south, then in the north."""
    payload = person_payload()
    first = register(mechanism.client("south_reception"), payload)
    second = register(mechanism.client("reception"), payload)
    return first, second


def test_the_officer_is_told_only_that_a_supervisor_will_review(mechanism):
    payload = person_payload()
    reception = mechanism.client("reception")
    fresh = register(reception, payload)
    assert fresh["duplicate_review"] is None
    again = register(mechanism.client("south_reception"), payload)
    assert again["duplicate_review"] == "pending"
    assert "possible_duplicates" not in again
    assert set(again) == set(fresh)
    assert fresh["id"] not in str(again) and "North" not in str(again)


def test_every_lookup_is_audited_in_the_registering_organisation(mechanism, duplicate):
    first, second = duplicate
    checks = AuditEvent.objects.filter(action="person.duplicate_checked").order_by("id")
    assert [(str(e.case_id), e.extra["matches"]) for e in checks] == [
        (first["id"], 0),
        (second["id"], 1),
    ]
    assert checks[1].organisation == mechanism.reception_centre
    # The case history the officer reads shows no counts.
    history = mechanism.client("reception").get(
        f"/api/v1/cases/{second['id']}/history/"
    )
    assert history.status_code == 200
    assert all("extra" not in event for event in history.json()["results"])


def test_the_supervisor_sees_the_matches_and_resolves(mechanism, duplicate):
    first, second = duplicate
    supervisor = mechanism.client("supervisor")
    listed = supervisor.get(REVIEWS)
    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert item["case_id"] == second["id"] and item["outcome"] == ""
    assert "matches" not in item
    reads = AuditEvent.objects.filter(action="person.duplicate_review_read")
    assert not reads.exists()

    detail = supervisor.get(f"{REVIEWS}{item['id']}/")
    assert detail.status_code == 200
    [match] = detail.json()["matches"]
    # Another organisation's case: its reference and organisation, not its id.
    assert match["case_id"] is None
    assert match["case_reference"] == first["id"].split("-")[0].upper()
    assert match["organisation"]["name"] == "South Reception Centre"
    assert set(match) == {
        "case_id",
        "case_reference",
        "organisation",
        "registered_at",
        "state",
    }
    [read] = reads
    assert first["id"] not in detail.content.decode()
    assert read.actor == mechanism.user["supervisor"]
    assert str(read.case_id) == second["id"] and read.extra == {"matches": 1}

    resolved = supervisor.post(
        f"{REVIEWS}{item['id']}/resolve/", {"outcome": "same_person"}, format="json"
    )
    assert resolved.status_code == 200
    assert resolved.json()["outcome"] == "same_person"
    [event] = AuditEvent.objects.filter(action="person.duplicate_review_resolved")
    assert event.reason_code == "same_person"
    assert supervisor.get(REVIEWS).json()["results"] == []
    assert len(supervisor.get(f"{REVIEWS}?open=false").json()["results"]) == 1
    again = supervisor.post(
        f"{REVIEWS}{item['id']}/resolve/",
        {"outcome": "different_people"},
        format="json",
    )
    assert again.status_code == 409


def test_refusals(mechanism, duplicate):
    review = DuplicateReview.objects.get()
    detail, resolve = f"{REVIEWS}{review.pk}/", f"{REVIEWS}{review.pk}/resolve/"
    body = {"outcome": "same_person"}
    # Wrong role: the officers, the rapporteur, the administrator.
    for username in ("reception", "south_reception", "rapporteur", "admin"):
        client = mechanism.client(username)
        assert client.get(REVIEWS).status_code == 403, username
        assert client.get(detail).status_code == 403, username
        assert client.post(resolve, body, format="json").status_code == 403, username
    # Wrong organisation: a supervisor elsewhere does not see it.
    mechanism.add_user(
        "south_supervisor", Role.SUPERVISOR, mechanism.org["South Reception Centre"]
    )
    south = mechanism.client("south_supervisor")
    assert south.get(REVIEWS).json()["results"] == []
    assert south.get(detail).status_code == 404
    assert south.post(resolve, body, format="json").status_code == 404
    supervisor = mechanism.client("supervisor")
    assert supervisor.get(f"{REVIEWS}not-a-uuid/").status_code == 404
    # Malformed bodies.
    for bad in ({"outcome": "maybe"}, {}, {"outcome": "same_person", "x": 1}):
        assert supervisor.post(resolve, bad, format="json").status_code == 400, bad
    review.refresh_from_db()
    assert review.resolved_at is None
    assert not AuditEvent.objects.filter(
        action__in=["person.duplicate_review_read", "person.duplicate_review_resolved"]
    ).exists()


def test_a_match_the_supervisor_may_open_is_named_by_its_id(mechanism):
    payload = person_payload()
    reception = mechanism.client("reception")
    first = register(reception, payload)
    register(reception, payload)
    review = DuplicateReview.objects.get()
    detail = mechanism.client("supervisor").get(f"{REVIEWS}{review.pk}/").json()
    assert [m["case_id"] for m in detail["matches"]] == [first["id"]]
