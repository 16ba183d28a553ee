"""Every (role, capability) pair of the role table, allowed and refused."""

import pytest

from nrm.roles import ROLE_CAPABILITIES, Capability, Role, role_may

C = Capability
EXPECTED = {
    Role.RECEPTION_OFFICER: {
        C.PERSON_REGISTER,
        C.PERSON_READ,
        C.CASE_VIEW,
        C.CASE_SCREEN,
        C.CONSENT_RECORD,
        C.REFERRAL_SEND,
        C.CASE_ASSIST,
        C.CASE_CLOSE,
        C.RIGHTS_INFORM,
        C.RECONSIDERATION_REQUEST,
    },
    Role.CASE_WORKER: {
        C.PERSON_READ,
        C.CASE_VIEW,
        C.CASE_SCREEN,
        C.CONSENT_RECORD,
        C.REFERRAL_SEND,
        C.REFERRAL_ANSWER,
        C.REFERRAL_INBOX,
        C.CASE_ASSIST,
        C.CASE_CLOSE,
        C.GUARDIAN_APPOINT,
        C.BEST_INTERESTS_ASSESS,
        C.DEADLINES_VIEW,
        C.RIGHTS_INFORM,
        C.AGE_ASSESS,
        C.RECONSIDERATION_REQUEST,
    },
    Role.DECISION_MAKER: {
        C.PERSON_READ,
        C.CASE_VIEW,
        C.REFERRAL_ANSWER,
        C.REFERRAL_INBOX,
        C.DECISION_TAKE,
        C.DEADLINES_VIEW,
        C.AGE_ASSESS,
    },
    Role.GUARDIAN: {
        C.PERSON_READ,
        C.CASE_VIEW,
        C.CONSENT_RECORD,
        C.RIGHTS_INFORM,
        C.CHILD_VIEWS_RECORD,
    },
    Role.SUPERVISOR: {
        C.PERSON_READ,
        C.PERSON_ERASE,
        C.CASE_VIEW,
        C.REFERRAL_INBOX,
        C.CASE_CLOSE,
        C.GUARDIAN_APPOINT,
        C.DEADLINES_VIEW,
        C.AUDIT_READ,
        C.SUBJECT_ACCESS,
        C.STATISTICS_ORGANISATION,
        C.DUPLICATE_REVIEW,
        C.HANDOVER_EXPORT,
    },
    Role.RAPPORTEUR: {C.STATISTICS_NATIONAL, C.STATISTICS_CASE_LEVEL},
    Role.ADMINISTRATOR: {C.MECHANISM_CONFIGURE, C.STAFF_MANAGE},
    Role.TRAINER: {C.EXERCISE_RUN},
}

PAIRS = [(role, cap) for role in Role for cap in Capability]


def test_every_role_is_in_the_table():
    assert set(ROLE_CAPABILITIES) == set(Role)


@pytest.mark.parametrize(
    ("role", "capability"), PAIRS, ids=[f"{r}-{c}" for r, c in PAIRS]
)
def test_role_capability(role, capability):
    assert role_may(role, capability) is (capability in EXPECTED[role])


@pytest.mark.parametrize("capability", list(Capability))
def test_unknown_role_is_refused(capability):
    assert role_may("superuser", capability) is False
    assert role_may("", capability) is False


def test_unknown_capability_is_refused():
    for role in Role:
        assert role_may(role, "case.delete") is False


def test_no_personal_data_for_rapporteur_or_administrator():
    for role in (Role.RAPPORTEUR, Role.ADMINISTRATOR):
        assert not role_may(role, C.PERSON_READ)
        assert not role_may(role, C.CASE_VIEW)
