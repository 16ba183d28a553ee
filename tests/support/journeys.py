"""Steps of a case through the real API, for tests that build a case to a
given point: each posts as the given client and asserts the status it expects.
Synthetic data only."""

from __future__ import annotations

from referral.models import Case
from tests.support.mechanism import person_payload, presumed_adult_codes


def register(client, payload) -> dict:
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def step(client, case_id, name, body=None, expect=200) -> dict:
    response = client.post(
        f"/api/v1/cases/{case_id}/transitions/{name}/", body or {}, format="json"
    )
    assert response.status_code == expect, response.json()
    return response.json()


def screen(client, case_id, codes, expect=201) -> dict:
    response = client.post(
        f"/api/v1/cases/{case_id}/screenings/",
        {"catalogue_id": "ilo-2009-adult-labour", "indicator_codes": codes,
         "interpreter_language": "ru", "notes": "Synthetic interview note."},
        format="json",
    )  # fmt: skip
    assert response.status_code == expect, response.json()
    return response.json()


def consent(client, case_id, organisation, purpose, given=True, expect=201) -> dict:
    response = client.post(
        f"/api/v1/cases/{case_id}/consents/",
        {"to_organisation": str(organisation.pk), "purpose": purpose, "given": given,
         "language": "ru", "interpreter_used": True},
        format="json",
    )  # fmt: skip
    assert response.status_code == expect, response.json()
    return response.json()


def refer(client, case_id, organisation, purpose, expect=201) -> dict:
    response = client.post(
        f"/api/v1/cases/{case_id}/referrals/",
        {"to_organisation": str(organisation.pk), "purpose": purpose},
        format="json",
    )
    assert response.status_code == expect, response.json()
    return response.json()


def answer(client, referral_id, verb, body=None, expect=200) -> dict:
    response = client.post(
        f"/api/v1/referrals/{referral_id}/{verb}/", body or {}, format="json"
    )
    assert response.status_code == expect, response.json()
    return response.json()


def decide(client, case_id, kind, positive, expect=201, **extra) -> dict:
    response = client.post(
        f"/api/v1/cases/{case_id}/decisions/",
        {"kind": kind, "positive": positive, "reasons": "Synthetic reasons.", **extra},
        format="json",
    )
    assert response.status_code == expect, response.json()
    return response.json()


def state_of(case_id) -> str:
    return Case.objects.get(pk=case_id).state


def to_referral_pending(mechanism) -> tuple[object, str]:
    reception = mechanism.client("reception")
    case = register(reception, person_payload())
    result = screen(reception, case["id"], presumed_adult_codes())
    assert result["outcome"] == "presumed"
    assert result["case_state"] == "referral_pending"
    return reception, case["id"]


def to_assessment(mechanism) -> tuple[object, str]:
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    answer(mechanism.client("idworker"), referral["id"], "accept")
    assert state_of(case_id) == "assessment"
    return reception, case_id
