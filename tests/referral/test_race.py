"""Two requests fire the same transition on one case at once, on PostgreSQL:
exactly one succeeds, the other gets 409, one audit event is written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from nrm.models import AuditEvent
from tests.support.journeys import to_assessment
from tests.support.mechanism import Mechanism, client_for


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_transition_one_wins():
    mechanism = Mechanism()
    _, case_id = to_assessment(mechanism)
    users = [mechanism.user["reception"], mechanism.user["reception"]]
    clients = [client_for(user) for user in users]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def fire(client):
        try:
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/cases/{case_id}/transitions/suspend/",
                {"reason": "contact_lost"},
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 409]
    suspensions = AuditEvent.objects.filter(
        case_id=case_id, action="case.transition", to_state="suspended"
    )
    assert suspensions.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_accept_and_decline_one_wins():
    mechanism = Mechanism()
    from tests.support.journeys import consent, refer, to_referral_pending

    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    worker = mechanism.user["idworker"]
    decider = mechanism.user["decider"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def fire(user, verb, body):
        client = client_for(user)
        try:
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/referrals/{referral['id']}/{verb}/", body, format="json"
            )
            results[verb] = response.status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=fire, args=(worker, "accept", {})),
        threading.Thread(
            target=fire, args=(decider, "decline", {"reason": "no_capacity"})
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [200, 409]
    answered = AuditEvent.objects.filter(
        object_id=referral["id"], action__in=["referral.accepted", "referral.declined"]
    )
    assert answered.count() == 1
