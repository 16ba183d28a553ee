"""The refusals: wrong role, wrong organisation, wrong state, missing or
withdrawn consent, malformed bodies. Nothing half-written after any."""

from __future__ import annotations

import pytest
import time_machine

from nrm.models import AuditEvent
from referral.models import Case, Consent, Referral, Screening
from tests.support.journeys import (
    answer,
    consent,
    decide,
    refer,
    register,
    screen,
    state_of,
    step,
    to_assessment,
    to_referral_pending,
)
from tests.support.mechanism import person_payload, presumed_adult_codes

pytestmark = pytest.mark.django_db


def snapshot(case_id) -> tuple:
    return (
        state_of(case_id),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
        Screening.objects.filter(case_id=case_id).count(),
        Referral.objects.filter(case_id=case_id).count(),
        Consent.objects.filter(case_id=case_id).count(),
    )


def test_foreign_organisation_gets_404_everywhere(mechanism):
    _, case_id = to_referral_pending(mechanism)
    other = mechanism.client("south_reception")
    before = snapshot(case_id)
    for path in [
        "",
        "transitions/",
        "screenings/",
        "consents/",
        "referrals/",
        "decisions/",
        "history/",
    ]:
        assert other.get(f"/api/v1/cases/{case_id}/{path}").status_code == 404
    assert (
        other.post(
            f"/api/v1/cases/{case_id}/transitions/close/",
            {"reason": "no_indicators"},
            format="json",
        ).status_code
        == 404
    )
    assert screen(other, case_id, [], expect=404)["code"] == "not_found"
    assert case_id not in other.get("/api/v1/cases/").content.decode()
    assert snapshot(case_id) == before


def test_absent_and_foreign_cases_answer_alike(mechanism):
    _, case_id = to_referral_pending(mechanism)
    other = mechanism.client("south_reception")
    foreign = other.get(f"/api/v1/cases/{case_id}/")
    absent = other.get("/api/v1/cases/00000000-0000-4000-8000-000000000000/")
    garbage = other.get("/api/v1/cases/not-a-uuid/")
    assert foreign.status_code == absent.status_code == garbage.status_code == 404
    assert foreign.json() == absent.json() == garbage.json()


def test_wrong_role_is_403_on_a_visible_case(mechanism):
    reception, case_id = to_assessment(mechanism)
    before = snapshot(case_id)
    # A reception officer may not decide; a case worker of the authority
    # (who can see the case) may not decide either.
    assert decide(reception, case_id, "reasonable_grounds", True, expect=403)
    refused = decide(
        mechanism.client("idworker"), case_id, "reasonable_grounds", True, expect=403
    )
    assert refused["code"] == "not_the_deciding_authority"
    # The supervisor sees the case but may not screen it.
    assert screen(mechanism.client("supervisor"), case_id, [], expect=403)
    assert snapshot(case_id) == before


def test_rapporteur_and_administrator_reach_no_case(mechanism):
    _, case_id = to_referral_pending(mechanism)
    for username in ("rapporteur", "admin"):
        client = mechanism.client(username)
        assert client.get(f"/api/v1/cases/{case_id}/").status_code == 404
        listing = client.get("/api/v1/cases/")
        assert listing.status_code == 200
        assert listing.json()["results"] == []
        assert (
            client.post("/api/v1/cases/", person_payload(), format="json").status_code
            == 403
        )


def test_wrong_state_is_409(mechanism):
    reception, case_id = to_assessment(mechanism)
    referral = Referral.objects.get(case_id=case_id, purpose="identification")
    again = answer(mechanism.client("idworker"), referral.pk, "accept", expect=409)
    assert again["code"] == "invalid_state"
    refused = step(
        reception,
        case_id,
        "flag-for-referral",
        {"reason_code": "urgent_danger"},
        expect=409,
    )
    assert refused["code"] == "invalid_state"
    decider = mechanism.client("decider")
    refused = decide(decider, case_id, "conclusive_grounds", True, expect=409)
    assert refused["code"] == "invalid_state"


def test_identification_referral_without_consent_is_409(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    before = snapshot(case_id)
    refused = refer(
        reception, case_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"
    # Consent for another organisation or purpose does not count.
    consent(reception, case_id, mechanism.second_authority, "identification")
    consent(reception, case_id, mechanism.authority, "shelter")
    refused = refer(
        reception, case_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"
    assert snapshot(case_id)[0] == before[0] == "referral_pending"
    assert Referral.objects.filter(case_id=case_id).count() == 0


def test_withdrawn_consent_withdraws_the_referral_and_blocks_a_new_one(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    given = consent(reception, case_id, mechanism.authority, "identification")
    refer(reception, case_id, mechanism.authority, "identification")
    assert state_of(case_id) == "referred"
    response = reception.post(f"/api/v1/consents/{given['id']}/withdraw/")
    assert response.status_code == 200, response.json()
    assert state_of(case_id) == "referral_pending"
    assert Referral.objects.get(case_id=case_id).state == "withdrawn"
    refused = refer(
        reception, case_id, mechanism.authority, "identification", expect=409
    )
    assert refused["code"] == "consent_required"
    again = reception.post(f"/api/v1/consents/{given['id']}/withdraw/")
    assert again.status_code == 409


def test_withdrawn_consent_revokes_the_recipients_access(mechanism):
    reception, case_id = to_assessment(mechanism)
    idworker = mechanism.client("idworker")
    assert idworker.get(f"/api/v1/cases/{case_id}/").status_code == 200
    given = Consent.objects.get(case_id=case_id, purpose="identification")
    assert reception.post(f"/api/v1/consents/{given.pk}/withdraw/").status_code == 200
    assert idworker.get(f"/api/v1/cases/{case_id}/").status_code == 404
    assert (
        AuditEvent.objects.filter(case_id=case_id, action="access.revoked").count() == 1
    )


def test_receiving_organisation_sees_no_name_before_accepting(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.authority, "identification")
    referral = refer(reception, case_id, mechanism.authority, "identification")
    idworker = mechanism.client("idworker")
    person = Case.objects.get(pk=case_id).person
    for path in ["/api/v1/referrals/inbox/", f"/api/v1/referrals/{referral['id']}/"]:
        response = idworker.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert person.family_name not in body
        assert person.given_names not in body
        assert "Synthetic" not in body
        assert case_id not in body
    assert idworker.get(f"/api/v1/cases/{case_id}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"catalogue_id": "ilo-2009-adult-labour"}, "invalid"),
        (
            {"catalogue_id": "ilo-2009-adult-labour", "indicator_codes": "not-a-list"},
            "invalid",
        ),
        (
            {"catalogue_id": "no-such-catalogue", "indicator_codes": []},
            "unknown_catalogue",
        ),
        (
            {
                "catalogue_id": "ilo-2009-adult-labour",
                "indicator_codes": ["no.such.code"],
            },
            "unknown_indicators",
        ),
        (
            {
                "catalogue_id": "ilo-2009-adult-labour",
                "indicator_codes": [],
                "state": "x",
            },
            "invalid",
        ),
    ],
    ids=[
        "missing-codes",
        "codes-not-list",
        "unknown-catalogue",
        "unknown-code",
        "read-only-field",
    ],
)
def test_malformed_screening_is_400_and_writes_nothing(mechanism, body, code):
    reception = mechanism.client("reception")
    case = register(reception, person_payload())
    before = snapshot(case["id"])
    response = reception.post(
        f"/api/v1/cases/{case['id']}/transitions/screen/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert snapshot(case["id"]) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sex", "dragon"),
        ("age_group", 7),
        ("date_of_birth", "yesterday"),
        ("citizenship", "Utopia"),
        ("exploitation_forms", ["unheard_of"]),
        ("state", "recognised"),
        ("organisation_id", "not-a-uuid"),
    ],
)
def test_malformed_registration_is_400_and_writes_nothing(mechanism, field, value):
    reception = mechanism.client("reception")
    before = (
        Case.objects.count(),
        AuditEvent.objects.filter(case_id__isnull=False).count(),
    )
    response = reception.post(
        "/api/v1/cases/", person_payload(**{field: value}), format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["detail"]
    after = (
        Case.objects.count(),
        AuditEvent.objects.filter(case_id__isnull=False).count(),
    )
    assert after == before


@time_machine.travel("2026-05-16 10:00:00+00:00", tick=False)
@pytest.mark.parametrize("date_of_birth", ["2026-05-17", "3966-05-16"])
def test_a_date_of_birth_in_the_future_is_400_and_writes_nothing(
    mechanism, date_of_birth
):
    reception = mechanism.client("reception")
    cases = Case.objects.count()
    response = reception.post(
        "/api/v1/cases/", person_payload(date_of_birth=date_of_birth), format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["detail"]["date_of_birth"] == [
        "A date of birth cannot be in the future."
    ]
    assert Case.objects.count() == cases
    today = person_payload(date_of_birth="2026-05-16")
    assert reception.post("/api/v1/cases/", today, format="json").status_code == 201


def test_non_json_body_is_400(mechanism):
    reception = mechanism.client("reception")
    response = reception.post(
        "/api/v1/cases/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_transition_is_404_and_bad_input_400(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    assert step(reception, case_id, "teleport", {}, expect=404)
    refused = step(reception, case_id, "close", {"reason": "bored"}, expect=400)
    assert "reason" in refused["detail"]


def test_child_missing_reason_is_for_children(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    refused = step(
        reception, case_id, "suspend", {"reason": "child_missing"}, expect=409
    )
    assert refused["code"] == "not_a_child"


def test_screening_works_in_every_open_state(mechanism):
    reception, case_id = to_assessment(mechanism)
    result = screen(reception, case_id, presumed_adult_codes())
    assert result["case"]["state"] == "assessment"
