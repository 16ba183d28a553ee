"""Steps of a case through the real API, for tests that build a case to a
given point: each posts as the given client and asserts the status it expects.
Every write on a case is a step (`POST /api/v1/cases/{id}/transitions/{step}/`,
answered with `{"case", "result"}`). Synthetic data only."""

from __future__ import annotations

from referral.models import Case
from tests.support.mechanism import person_payload, presumed_adult_codes


def register(client, payload) -> dict:
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def step(client, case_id, name, body=None, expect=200) -> dict:
    """Every write on a case is a step: `POST .../transitions/{name}/`,
    answered with `{"case", "result"}` (or the refusal)."""
    response = client.post(
        f"/api/v1/cases/{case_id}/transitions/{name}/", body or {}, format="json"
    )
    assert response.status_code == expect, response.json()
    return response.json()


def screen(client, case_id, codes, expect=200) -> dict:
    return step(
        client, case_id, "screen",
        {"catalogue_id": "ilo-2009-adult-labour", "indicator_codes": codes,
         "interpreter_language": "ru", "notes": "Synthetic interview note."},
        expect=expect,
    )  # fmt: skip


def record(body: dict) -> dict:
    """The record a step wrote, or the refusal when it was refused."""
    return body.get("result", body)


def consent(client, case_id, organisation, purpose, given=True, expect=200) -> dict:
    return record(
        step(
            client, case_id, "record-consent",
            {"to_organisation_id": str(organisation.pk), "purpose": purpose,
             "given": given, "language": "ru", "interpreter_used": True},
            expect=expect,
        )
    )  # fmt: skip


def refer(client, case_id, organisation, purpose, expect=200) -> dict:
    return record(
        step(
            client, case_id, "send-referral",
            {"to_organisation_id": str(organisation.pk), "purpose": purpose},
            expect=expect,
        )
    )  # fmt: skip


def person_request(client, case_id, kind, expect=200) -> dict:
    """Record a request of the person (synthetic words) of this kind:
    early_decision, return or transfer."""
    return record(
        step(
            client, case_id, "record-person-request",
            {"kind": kind, "language": "ru", "interpreter_present": True,
             "text": "Synthetic request in the person's words."},
            expect=expect,
        )
    )  # fmt: skip


def answer(client, referral_id, verb, body=None, expect=200) -> dict:
    response = client.post(
        f"/api/v1/referrals/{referral_id}/{verb}/", body or {}, format="json"
    )
    assert response.status_code == expect, response.json()
    return response.json()


DECISION_STEPS = {
    "reasonable_grounds": "decide-reasonable-grounds",
    "conclusive_grounds": "decide-conclusive-grounds",
    "reconsideration": "reconsider",
}


def decide(client, case_id, kind, positive, expect=200, **extra) -> dict:
    return step(
        client, case_id, DECISION_STEPS[kind],
        {"positive": positive, "reasons": "Synthetic reasons.", **extra},
        expect=expect,
    )  # fmt: skip


def state_of(case_id) -> str:
    return Case.objects.get(pk=case_id).state


def to_referral_pending(mechanism) -> tuple[object, str]:
    reception = mechanism.client("reception")
    case = register(reception, person_payload())
    result = screen(reception, case["id"], presumed_adult_codes())
    assert result["result"]["screening"]["outcome"] == "presumed"
    assert result["case"]["state"] == "referral_pending"
    return reception, case["id"]


def to_assessment(mechanism) -> tuple[object, str]:
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    answer(mechanism.client("idworker"), referral["id"], "accept")
    assert state_of(case_id) == "assessment"
    return reception, case_id
