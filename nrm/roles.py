"""The role table: what each role may do, deny by default.

This is the whole of it, on one screen, for an auditor to read. Object-level
questions (which case, which organisation) are answered by
`referral/policy.py`, which asks `role_may` first.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTION_OFFICER = "reception_officer", _("Reception officer")
    CASE_WORKER = "case_worker", _("Case worker")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    GUARDIAN = "guardian", _("Guardian")
    SUPERVISOR = "supervisor", _("Supervisor")
    RAPPORTEUR = "rapporteur", _("National rapporteur")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Only in a training mechanism (training/): runs exercises, sees no case.
    TRAINER = "trainer", _("Trainer")


class Capability(models.TextChoices):
    PERSON_REGISTER = "person.register", _("Register a person and open a case")
    PERSON_READ = "person.read", _("Read a visible person's personal data")
    PERSON_ERASE = "person.erase", _("Erase a person (crypto-shredding)")
    CASE_VIEW = "case.view", _("See a visible case")
    CASE_SCREEN = "case.screen", _("Record a screening")
    CONSENT_RECORD = "consent.record", _("Record or withdraw consent")
    REFERRAL_SEND = "referral.send", _("Send or withdraw a referral")
    REFERRAL_ANSWER = "referral.answer", _("Accept or decline a referral")
    REFERRAL_INBOX = "referral.inbox", _("See referrals sent to the organisation")
    CASE_ASSIST = "case.assist", _("Assist: suspend, resume, transfer a case")
    CASE_CLOSE = "case.close", _("Close a case with a reason")
    DECISION_TAKE = "decision.take", _("Take identification decisions")
    GUARDIAN_APPOINT = "guardian.appoint", _("Record a guardian's appointment")
    BEST_INTERESTS_ASSESS = (
        "best_interests.assess",
        _("Record a best-interests assessment"),
    )
    RIGHTS_INFORM = "rights.inform", _("Record that the person was informed of rights")
    CHILD_VIEWS_RECORD = "child.views", _("Record the child's views, as their guardian")
    AGE_ASSESS = "age.assess", _("Record an age assessment")
    RECONSIDERATION_REQUEST = (
        "decision.request_reconsideration",
        _("Request the reconsideration of a negative decision"),
    )
    DEADLINES_VIEW = "deadlines.view", _("See deadlines and overdue work")
    AUDIT_READ = "audit.read", _("Read the organisation's audit trail")
    DUPLICATE_REVIEW = (
        "person.duplicate_review",
        _("Review and resolve possible duplicate registrations"),
    )
    SUBJECT_ACCESS = "audit.subject_access", _("Produce a data subject's history")
    HANDOVER_EXPORT = (
        "handover.export",
        _("Download a transnational hand-over package"),
    )
    STATISTICS_NATIONAL = "statistics.national", _("Read national statistics")
    STATISTICS_ORGANISATION = (
        "statistics.organisation",
        _("Read the organisation's statistics"),
    )
    STATISTICS_CASE_LEVEL = (
        "statistics.case_level",
        _("Export anonymised case-level data"),
    )
    MECHANISM_CONFIGURE = "mechanism.configure", _("Configure the mechanism")
    STAFF_MANAGE = "staff.manage", _("Manage staff accounts and memberships")
    EXERCISE_RUN = (
        "exercise.run",
        _("Run training exercises: clock, injects, debrief"),
    )


R, C = Role, Capability

ROLE_CAPABILITIES: Mapping[str, frozenset[str]] = {
    R.RECEPTION_OFFICER: frozenset(
        {
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
        }
    ),
    R.CASE_WORKER: frozenset(
        {
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
        }
    ),
    R.DECISION_MAKER: frozenset(
        {
            C.PERSON_READ,
            C.CASE_VIEW,
            C.REFERRAL_ANSWER,
            C.REFERRAL_INBOX,
            C.DECISION_TAKE,
            C.DEADLINES_VIEW,
            C.AGE_ASSESS,
        }
    ),
    R.GUARDIAN: frozenset(
        {
            C.PERSON_READ,
            C.CASE_VIEW,
            C.CONSENT_RECORD,
            C.RIGHTS_INFORM,
            C.CHILD_VIEWS_RECORD,
        }
    ),
    R.SUPERVISOR: frozenset(
        {
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
        }
    ),
    R.RAPPORTEUR: frozenset(
        {
            C.STATISTICS_NATIONAL,
            C.STATISTICS_CASE_LEVEL,
        }
    ),
    R.ADMINISTRATOR: frozenset(
        {
            C.MECHANISM_CONFIGURE,
            C.STAFF_MANAGE,
        }
    ),
    R.TRAINER: frozenset(
        {
            C.EXERCISE_RUN,
        }
    ),
}


def role_may(role: str, capability: str) -> bool:
    """The one question of the role table. Unknown roles and capabilities: no."""
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


def roles_with(capability: str) -> frozenset[str]:
    return frozenset(r for r, caps in ROLE_CAPABILITIES.items() if capability in caps)


PERSONAL_DATA_ROLES = roles_with(Capability.PERSON_READ)
