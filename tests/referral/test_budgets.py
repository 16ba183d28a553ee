"""Query budgets: the case list costs the same for 5 and for 50 cases; a
transition costs a bounded, stated number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.support.auth import issue_token
from tests.support.journeys import register, to_assessment
from tests.support.mechanism import Mechanism, client_for, person_payload

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-5678"  # noqa: S105 - a synthetic test password

# A step through the API, sign-in included, measured as production runs it
# (no test transaction around the request: BEGIN and COMMIT are statements,
# no savepoints are added), at most 14 whichever way the client signs in.
# An API client signed in with its token: 2 to check the token (the
# authentication runs its lookup twice) and 1 for the memberships; BEGIN; 1 to
# find, lock and visibility-check the case (its grants and any guardian
# appointment come in the same row); 1 UPDATE; 2 for the audit event (lock the
# chain head; INSERT the event and move the head, one statement on
# PostgreSQL); COMMIT; 2 to render the case the step returned (deadlines,
# forms of exploitation): 11. Signed in with a session instead (the
# browser's way): the session and the user are 2 instead of the token's 2, the
# one-time-password device 1, and the session's save, which restarts the idle
# clock, 1 (one UPDATE, nrm/sessions.py): 13.
STEP_QUERIES = 14


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/cases/?limit=100")
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_case_list_query_count_does_not_grow_with_cases(mechanism):
    reception = mechanism.client("reception")
    for _ in range(5):
        register(reception, person_payload())
    small, n_small = list_queries(reception)
    for _ in range(45):
        register(reception, person_payload())
    large, n_large = list_queries(reception)
    assert (n_small, n_large) == (5, 50)
    assert small == large


def step_statements(client, case_id, name, body, state) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            f"/api/v1/cases/{case_id}/transitions/{name}/", body, format="json"
        )
    assert response.status_code == 200
    assert response.json()["case"]["state"] == state
    statements = [q["sql"] for q in ctx.captured_queries]
    case_reads = [
        sql
        for sql in statements
        if sql.startswith("SELECT") and 'FROM "referral_case"' in sql
    ]
    assert len(case_reads) == 1, case_reads  # found, locked and checked once
    return statements


@pytest.mark.django_db(transaction=True)
def test_a_step_through_the_api_finds_the_case_once_within_its_budget():
    mechanism = Mechanism()
    _, case_id = to_assessment(mechanism)
    reception = mechanism.user["reception"]
    reception.set_password(PASSWORD)
    reception.save(update_fields=["password"])
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {issue_token(client, reception, password=PASSWORD)}"
    )
    suspend = ("suspend", {"reason": "contact_lost"}, "suspended")
    statements = step_statements(client, case_id, *suspend)
    print(f"a step through the API, token: {len(statements)} queries")  # noqa: T201
    assert len(statements) <= STEP_QUERIES, "\n".join(statements)

    resume = ("resume", {}, "assessment")
    statements = step_statements(client_for(reception), case_id, *resume)
    print(f"a step through the API, session: {len(statements)} queries")  # noqa: T201
    assert len(statements) <= STEP_QUERIES, "\n".join(statements)
