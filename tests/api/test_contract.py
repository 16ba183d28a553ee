"""The API against its own OpenAPI schema: schemathesis runs all its checks
on every operation (its examples, coverage and fuzzing phases, a bounded
number of generated examples per operation), signed in as the reception,
case-worker and decision-maker demo users.

Path ids are pinned to a case (and a referral) the user may see, so that the
generated requests reach the services instead of stopping at a 404. The
figures of each run are printed (`pytest -s`).
"""

from __future__ import annotations

import pytest
import schemathesis
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from nrm.demo import demo_password, load_directory
from nrm.models import User
from referral import policy
from referral.demo import load_cases
from referral.models import Referral
from tests.support.auth import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 5  # per operation, in the fuzzing phase
SCHEMA_PATH = "/api/v1/schema/"
# Revoking the run's own token would sign the rest of the run out;
# tests/auth/test_tokens.py covers both operations.
EXCLUDED = r"^/api/v1/auth/token/revoke"
# Operations where a schema-valid request may still be a 400, and why: each
# is a rule the schema cannot state. The list should only shrink.
POSITIVE_MAY_BE_400 = {
    # Valid indicator codes depend on the catalogue chosen (path or body).
    "/api/v1/indicator-catalogues/{catalogue_id}/assess/": "codes per catalogue",
    "/api/v1/cases/{case_id}/transitions/screen/": "codes per catalogue",
    # An organisation named in the body must be in the directory; the
    # services answer 400 for one that is not.
    "/api/v1/cases/{case_id}/transitions/record-consent/": "organisation directory",
    "/api/v1/cases/{case_id}/transitions/send-referral/": "organisation directory",
    # A date the schema cannot bound: the person was informed today or
    # before, never in the future (nor a child's age assessed).
    "/api/v1/cases/{case_id}/transitions/inform-of-rights/": "date not in future",
    "/api/v1/cases/{case_id}/transitions/record-age-assessment/": "date not in future",
    # A request of the person named in the body must be one of this case, of
    # the kind the step needs; a return names its kind and its partner, other
    # reasons take neither (docs/protections.md).
    "/api/v1/cases/{case_id}/transitions/transfer/": "the person's requests",
    "/api/v1/cases/{case_id}/transitions/close/": "return details by reason",
    # A hand-over package is a string to the schema; it must also decrypt
    # under our keys and verify against the partner directory
    # (docs/transnational.md lists the refusals).
    "/api/v1/transnational/inbox/": "signed, encrypted package",
}


# schemathesis's default, and 422: the fuzzer reuses short Idempotency-Keys
# with other bodies, which the API answers with a 422 by design
# (nrm/idempotency.py).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def _pinned_ids(user: User) -> dict[str, str]:
    pinned = {}
    case = policy.visible_cases(user).order_by("registered_at").first()
    if case is not None:
        pinned["case_id"] = str(case.pk)
        referral = Referral.objects.filter(case=case).order_by("sent_at").first()
        if referral is not None:
            pinned["referral_id"] = str(referral.pk)
    return pinned


def _config(
    token: str, pinned: dict[str, str], *, coverage: bool
) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "workers": 1,
            "seed": 20261130,
            # No state kept between runs (nor files left in the work tree).
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Token {token}"},
            # Text never holds a NUL character (PostgreSQL cannot store one):
            # the API refuses it, so the fuzzer does not send it.
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "allow-x00": False,
            },
            "phases": {
                # Writes need ids from earlier answers: the pinned ids stand in.
                "stateful": {"enabled": False},
                "coverage": {
                    "enabled": coverage,
                    # Every operation is a GET or a POST: two other methods
                    # show that the rest answer 405.
                    "unexpected-methods": ["PUT", "DELETE"],
                    "generate-duplicate-query-parameters": False,
                },
            },
            "parameters": {f"path.{name}": value for name, value in pinned.items()},
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*ACCEPTED, "400"]
                        }
                    },
                }
                for path in POSITIVE_MAY_BE_400
            ],
        }
    )


def fuzz(
    base_url: str, user: User, *, coverage: bool
) -> tuple[set[str], int, list[str]]:
    """The operations run, the requests made and the failures (one line each,
    operation, check and title: no request data)."""
    token = issue_token(APIClient(), user, password=demo_password(user.username))
    schema = schemathesis.openapi.from_url(
        base_url + SCHEMA_PATH,
        config=_config(token, _pinned_ids(user), coverage=coverage),
        headers={"Authorization": f"Token {token}"},
    ).exclude(path_regex=EXCLUDED)
    operations, requests, failures = set(), 0, set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            operations.add(event.recorder.label)
            requests += len(event.recorder.interactions)
            failures |= {
                f"{event.recorder.label}: {check.name}: "
                f"{check.failure_info.failure.title}"
                for checks in event.recorder.checks.values()
                for check in checks
                if check.failure_info is not None
            }
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.add(f"{getattr(event, 'label', 'the run')}: an error")
    return operations, requests, sorted(failures)


# The coverage phase (boundary values and each kind of malformed input, some
# 1,500 requests) runs once, as the reception: the shape of an input is
# mostly checked before any rule that depends on the role. The examples and
# fuzzing phases, valid and invalid data, run for every user.
USERS = [("reception", True), ("caseworker", False), ("decider", False)]


@pytest.mark.parametrize(("username", "coverage"), USERS, ids=[u for u, _ in USERS])
def test_the_api_keeps_its_schema(live_server, username, coverage):
    load_directory()
    load_cases()
    operations, requests, failures = fuzz(
        live_server.url, User.objects.get(username=username), coverage=coverage
    )
    # The run's figures, shown with `pytest -s`.
    print(f"{username}: {len(operations)} operations, {requests} requests")  # noqa: T201
    assert len(operations) >= 35, sorted(operations)
    assert failures == [], "\n".join(failures)
