"""The workflow's rules that reach beyond one row: guards over consents,
guardians, best-interests assessments, decisions and the national profile.

The graph itself (sources and targets) is declared on the models by
`@transition`; the services (`referral/services/`) call these guards under
the case lock, and the steps (`referral/steps.py`) use the case-only ones to
list what a user may do now. Each guard raises `Conflict` with a stable
code, or returns quietly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from nrm.choices import OrganisationKind, ServiceKind
from nrm.errors import Conflict, Forbidden, InvalidInput
from nrm.models import CountryProfile, Organisation
from nrm.roles import Role
from referral.models import (
    CLOSE_REASONS_NEEDING_BIA,
    OPEN_STATES,
    BestInterestsAssessment,
    Case,
    CaseState,
    Consent,
    ConsentGiver,
    Decision,
    DecisionKind,
    GuardianAppointment,
    Referral,
    ReferralState,
    SuspendReason,
)

# Purposes for which a child's data go without consent: child protection is
# the state's duty (CETS 197 art. 10(4)); everything else is consent-bound.
CONSENT_FREE_PURPOSES_FOR_CHILDREN = frozenset({ServiceKind.CHILD_PROTECTION})


def require_choice(value: str, choices, field: str) -> None:
    """Services refuse codes outside their lists, whatever the caller."""
    if value not in choices.values:
        raise InvalidInput(
            _("Unknown code."), code="unknown_code", detail={field: ["Unknown code."]}
        )


def require_foreign_country(country: str, profile: CountryProfile) -> None:
    if country == profile.country:
        raise InvalidInput(
            _("A transfer goes to another country."),
            code="own_country",
            detail={"country": ["This is the mechanism's own country."]},
        )


def require_fsm(case_or_referral, *method_names: str) -> None:
    """The graph allows one of these transitions from the current state, or
    409."""
    if not any(can_proceed(getattr(case_or_referral, m)) for m in method_names):
        raise Conflict(
            _("This step is not possible in the current state."),
            code="invalid_state",
            detail={"state": case_or_referral.state, "transition": method_names[0]},
        )


def require_open(case: Case) -> None:
    if case.state not in OPEN_STATES:
        raise Conflict(
            _("The case is not open."),
            code="case_not_open",
            detail={"state": case.state},
        )


def active_guardian(case: Case) -> GuardianAppointment | None:
    return (
        GuardianAppointment.objects.filter(case=case, ended_at__isnull=True)
        .select_related("guardian")
        .first()
    )


def require_guardian(case: Case) -> GuardianAppointment:
    """A child needs an appointed guardian before consent-bound steps."""
    appointment = active_guardian(case)
    if appointment is None:
        raise Conflict(
            _("A guardian must be appointed for this child first."),
            code="guardian_required",
        )
    return appointment


def needs_consent(case: Case, purpose: str) -> bool:
    return not (case.person.is_child and purpose in CONSENT_FREE_PURPOSES_FOR_CHILDREN)


def effective_consent(case: Case, organisation_id, purpose: str) -> Consent | None:
    """The consent in force for sharing with this organisation for this
    purpose: the person's own, or for a child the appointed guardian's."""
    giver = ConsentGiver.GUARDIAN if case.person.is_child else ConsentGiver.PERSON
    consents = Consent.objects.filter(
        case=case, to_organisation_id=organisation_id, purpose=purpose,
        given_by=giver,
    )  # fmt: skip
    if case.person.is_child:
        appointment = active_guardian(case)
        if appointment is None:
            return None
        consents = consents.filter(guardian_id=appointment.guardian_id)
    # The latest word counts: a refusal after a consent revokes it.
    latest = consents.order_by("-recorded_at").first()
    return latest if latest is not None and latest.is_effective else None


def holds_consent_free_referral(case: Case, organisation_id) -> bool:
    """An organisation that took a child in under child protection keeps its
    access whatever consents are withdrawn: the duty is the state's."""
    if not case.person.is_child:
        return False
    return Referral.objects.filter(
        case=case, to_organisation_id=organisation_id,
        purpose__in=CONSENT_FREE_PURPOSES_FOR_CHILDREN,
        state__in=[ReferralState.ACCEPTED, ReferralState.COMPLETED],
    ).exists()  # fmt: skip


CONSENT_REQUIRED = _(
    "No consent in force for sharing this person's data with that organisation "
    "for that purpose."
)


def require_consent(case: Case, organisation_id, purpose: str) -> Consent | None:
    if not needs_consent(case, purpose):
        return None
    if case.person.is_child:
        require_guardian(case)
    consent = effective_consent(case, organisation_id, purpose)
    if consent is None:
        raise Conflict(
            CONSENT_REQUIRED,
            code="consent_required",
            detail={"organisation": str(organisation_id), "purpose": purpose},
        )
    return consent


def require_consent_giver(case: Case, *, actor_role: str, actor_id) -> str:
    """Who gives consent: an adult themself (recorded by staff), a child
    through their appointed guardian, who records it themself."""
    if not case.person.is_child:
        if actor_role == Role.GUARDIAN:
            raise Forbidden(
                _("A guardian consents for the children appointed to them."),
                code="guardian_for_children_only",
            )
        return ConsentGiver.PERSON
    appointment = require_guardian(case)
    if actor_role != Role.GUARDIAN or appointment.guardian_id != actor_id:
        raise Forbidden(
            _("A child's consent is given by the appointed guardian."),
            code="guardian_consents",
        )
    return ConsentGiver.GUARDIAN


def require_recipient(organisation: Organisation | None, purpose: str) -> Organisation:
    if organisation is None or not organisation.is_active:
        raise InvalidInput(
            _("Unknown or inactive organisation."),
            code="unknown_organisation",
            detail={"to_organisation_id": ["Unknown or inactive organisation."]},
        )
    if not organisation.services.filter(kind=purpose, is_active=True).exists():
        raise InvalidInput(
            _("That organisation does not offer this service."),
            code="service_not_offered",
            detail={"to_organisation_id": ["Does not offer this service."]},
        )
    if (
        purpose == ServiceKind.IDENTIFICATION
        and organisation.kind != OrganisationKind.COMPETENT_AUTHORITY
    ):
        raise InvalidInput(
            _("Identification referrals go to a competent authority."),
            code="not_a_competent_authority",
            detail={"to_organisation_id": ["Not a competent authority."]},
        )
    return organisation


def require_no_pending_referral(case: Case, organisation_id, purpose: str) -> None:
    if Referral.objects.filter(
        case=case, to_organisation_id=organisation_id, purpose=purpose,
        state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
    ).exists():  # fmt: skip
        raise Conflict(
            _("A referral for this purpose to this organisation is already open."),
            code="duplicate_referral",
        )


def require_refused_consent(case: Case) -> None:
    """An anonymous notification is for an adult who did not consent."""
    require_adult(case)
    refused = Consent.objects.filter(
        case=case, purpose=ServiceKind.IDENTIFICATION, given=False
    ).exists()
    if not refused:
        raise Conflict(
            _("Record the person's refusal of consent first."),
            code="refusal_not_recorded",
        )


def require_recovery_period_over(
    case: Case, *, now: datetime, at_person_request: bool
) -> None:
    """No conclusive decision before the recovery and reflection period ends,
    unless the person asks (CETS 197 art. 13)."""
    if at_person_request or case.recovery_ends_on is None:
        return
    from referral.deadlines import end_of_day

    if now < end_of_day(case.recovery_ends_on):
        raise Conflict(
            _("The recovery and reflection period is still running."),
            code="recovery_period_running",
            detail={"recovery_ends_on": case.recovery_ends_on.isoformat()},
        )


def reconsiderable_decision(
    case: Case, *, now: datetime, profile: CountryProfile
) -> Decision:
    """The negative decision being reconsidered, if within the window."""
    decision = (
        Decision.objects.filter(case=case, positive=False)
        .order_by("-decided_at")
        .first()
    )
    if decision is None:
        raise Conflict(
            _("There is no negative decision to reconsider."),
            code="no_negative_decision",
        )
    window = timedelta(days=profile.reconsideration_window_days)
    first = decision
    while first.kind == DecisionKind.RECONSIDERATION and first.reconsiders_id:
        first = first.reconsiders  # the window runs from the first refusal
    if now - first.decided_at > window:
        raise Conflict(
            _("The reconsideration window has closed."),
            code="reconsideration_window_closed",
        )
    return decision


def reconsidered_kind(decision: Decision) -> str:
    if decision.kind == DecisionKind.RECONSIDERATION and decision.reconsiders_id:
        return reconsidered_kind(decision.reconsiders)
    return decision.kind


def require_best_interests(case: Case) -> None:
    """A child needs a best-interests assessment before return or closure."""
    if not case.person.is_child:
        return
    if not BestInterestsAssessment.objects.filter(case=case).exists():
        raise Conflict(
            _("A best-interests assessment of the child is needed first."),
            code="best_interests_assessment_required",
        )


def require_close_reason(case: Case, reason: str) -> None:
    if reason in CLOSE_REASONS_NEEDING_BIA:
        require_best_interests(case)


def require_adult(case: Case) -> None:
    """Steps for adults only: a child goes to child protection instead."""
    if case.person.is_child:
        raise Conflict(
            _("Children are referred to child protection; no anonymous notification."),
            code="not_for_children",
        )


def require_child(case: Case) -> None:
    if not case.person.is_child:
        raise Conflict(_("This step is for children only."), code="not_a_child")


def require_suspend_reason(case: Case, reason: str) -> None:
    if reason == SuspendReason.CHILD_MISSING:
        require_child(case)


def calls_for_referral(case: Case, outcome: str) -> bool:
    """Presumed or possible indicators call for referral; a child (or presumed
    child) is referred to child protection whatever the screening says."""
    return case.person.is_child or outcome in {"presumed", "possible"}


def identification_pending(case: Case) -> bool:
    return case.state == CaseState.REFERRED


def require_unanswered(referral: Referral) -> None:
    if referral.state != ReferralState.SENT:
        raise Conflict(
            _("Only an unanswered referral can be withdrawn."),
            code="referral_answered", detail={"state": referral.state},
        )  # fmt: skip


def require_answer_due(referral: Referral) -> None:
    """The sender gives up on a referral only once its answer is due."""
    if timezone.now() <= referral.answer_due_at:
        raise Conflict(_("The referral's answer is not yet due."), code="not_yet_due")


# Guidance: what the pages offer first, and what unblocks a refused step.


def require_some_consent(case: Case) -> None:
    """Sending a referral needs a consent in force for someone (an adult's, or
    the appointed guardian's for a child); the body checks it for the chosen
    organisation and purpose. A child's child-protection referral needs none."""
    if case.person.is_child:
        return
    if not _consent_in_force(case, purpose=None):
        raise Conflict(CONSENT_REQUIRED, code="consent_required")


def _consent_in_force(case: Case, purpose: str | None) -> bool:
    consents = Consent.objects.filter(case=case)
    if purpose is not None:
        consents = consents.filter(purpose=purpose)
    pairs = set(consents.values_list("to_organisation_id", "purpose"))
    return any(effective_consent(case, org, kind) for org, kind in pairs)


# The refusal codes of the guards above, and the step (by name) that lifts
# each: a page shows a refused step disabled, with its reason and a link there.
UNBLOCKED_BY = {
    "consent_required": "record-consent",
    "refusal_not_recorded": "record-consent",
    "guardian_required": "appoint-guardian",
    "best_interests_assessment_required": "record-best-interests",
}


@dataclass(frozen=True)
class Advice:
    """The step the workflow recommends next for a case (by name), and why."""

    step: str
    reason: str


def advice(case: Case) -> Advice | None:
    """What to do next on this case, from its state and its consents; None
    where the workflow waits for nobody in particular (or for another
    organisation's answer)."""
    state = case.state
    if state == CaseState.REGISTERED:
        return Advice("screen", _("the person has not been screened yet"))
    if state == CaseState.SUSPENDED:
        return Advice("resume", _("resume the case once contact is regained"))
    if state == CaseState.ASSESSMENT:
        return Advice(
            "decide-reasonable-grounds",
            _("the competent authority accepted the identification referral"),
        )
    if state == CaseState.PRESUMED_VICTIM:
        return Advice(
            "decide-conclusive-grounds",
            _("the reasonable-grounds decision was positive"),
        )
    if state != CaseState.REFERRAL_PENDING:
        return None
    if case.person.is_child and active_guardian(case) is None:
        return Advice(
            "appoint-guardian", _("a child's consent is given by an appointed guardian")
        )
    if _consent_in_force(case, ServiceKind.IDENTIFICATION):
        return Advice("send-referral", _("the person consented to the referral"))
    refused = Consent.objects.filter(
        case=case, purpose=ServiceKind.IDENTIFICATION, given=False
    ).exists()
    if refused and not case.person.is_child:
        return Advice(
            "notify-anonymously",
            _("the person refused consent: tell the authority anonymously"),
        )
    if case.latest_outcome in {"presumed", "possible"}:
        return Advice(
            "record-consent", _("the screening found indicators of trafficking")
        )
    return Advice("record-consent", _("the case is to be referred"))
