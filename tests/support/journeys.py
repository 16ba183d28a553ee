"""Steps of a case through the real API, for tests that build a case to a
given point: each posts as the given client and asserts the status it expects.
Every write on a case is a step (`POST /api/v1/cases/{id}/transitions/{step}/`,
answered with `{"case", "result"}`). Synthetic data only."""

from __future__ import annotations

from referral.models import Case
from tests.support.mechanism import (
    child_payload,
    person_payload,
    presumed_adult_codes,
)


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
        client,
        case_id,
        "screen",
        {
            "catalogue_id": "ilo-2009-adult-labour",
            "indicator_codes": codes,
            "interpreter_language": "ru",
            "notes": "Synthetic interview note.",
        },
        expect=expect,
    )


def record(body: dict) -> dict:
    """The record a step wrote, or the refusal when it was refused."""
    return body.get("result", body)


def inform_of_rights(client, case_id, expect=200, **overrides) -> dict:
    """The rights information step, which consent needs first."""
    body = {
        "script": "rights_script_v1",
        "language": "ru",
        "interpreter_present": True,
        **overrides,
    }
    return record(step(client, case_id, "inform-of-rights", body, expect=expect))


def consent(client, case_id, organisation, purpose, given=True, expect=200) -> dict:
    """Consent, after informing the person of their rights (as a reception
    officer, case worker or guardian does before asking)."""
    inform_of_rights(client, case_id)
    return record(
        step(
            client,
            case_id,
            "record-consent",
            {
                "to_organisation_id": str(organisation.pk),
                "purpose": purpose,
                "given": given,
                "language": "ru",
                "interpreter_used": True,
            },
            expect=expect,
        )
    )


def refer(client, case_id, organisation, purpose, expect=200) -> dict:
    return record(
        step(
            client,
            case_id,
            "send-referral",
            {"to_organisation_id": str(organisation.pk), "purpose": purpose},
            expect=expect,
        )
    )


def person_request(client, case_id, kind, expect=200) -> dict:
    """Record a request of the person (synthetic words) of this kind:
    early_decision, return or transfer."""
    return record(
        step(
            client,
            case_id,
            "record-person-request",
            {
                "kind": kind,
                "language": "ru",
                "interpreter_present": True,
                "text": "Synthetic request in the person's words.",
            },
            expect=expect,
        )
    )


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
        client,
        case_id,
        DECISION_STEPS[kind],
        {"positive": positive, "reasons": "Synthetic reasons.", **extra},
        expect=expect,
    )


def request_reconsideration(client, case_id, by_person=True, expect=200) -> dict:
    """The person's request (through an assisting organisation) or the
    registering organisation's, which a reconsideration answers."""
    return record(
        step(
            client,
            case_id,
            "request-reconsideration",
            {"by_person": by_person, "grounds": "Synthetic grounds."},
            expect=expect,
        )
    )


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


def child_in_child_protection(mechanism, **overrides) -> tuple[object, str]:
    """A child registered and screened by the North centre, taken in by
    child protection (the automatic referral, accepted); no guardian yet."""
    reception = mechanism.client("reception")
    case = register(reception, {**child_payload(), **overrides})
    result = screen(reception, case["id"], [])
    childworker = mechanism.client("childworker")
    answer(childworker, result["result"]["child_protection_referral"], "accept")
    return reception, case["id"]


def child_with_guardian(mechanism, **overrides) -> tuple[object, str]:
    """As `child_in_child_protection`, with the demo guardian appointed."""
    reception, case_id = child_in_child_protection(mechanism, **overrides)
    step(
        mechanism.client("childworker"),
        case_id,
        "appoint-guardian",
        {"guardian_id": str(mechanism.user["guardian"].pk)},
    )
    return reception, case_id


def child_assisted_by_shelter(mechanism) -> tuple[object, str]:
    """A child with a guardian, whose consent took them to the shelter NGO,
    which accepted: its case worker holds the case."""
    reception, case_id = child_with_guardian(mechanism)
    consent(mechanism.client("guardian"), case_id, mechanism.shelter, "shelter")
    referral = refer(reception, case_id, mechanism.shelter, "shelter")
    answer(mechanism.client("caseworker"), referral["id"], "accept")
    return reception, case_id
