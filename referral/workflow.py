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
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from core import clock
from core.errors import Conflict, Forbidden, InvalidInput
from nrm.choices import OrganisationKind, ServiceKind
from nrm.models import CountryProfile, Organisation
from nrm.roles import Role
from referral.models import (
    CLOSE_REASONS_NEEDING_BIA,
    OPEN_STATES,
    BestInterestsAssessment,
    Case,
    CaseState,
    CloseReason,
    Consent,
    ConsentGiver,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    GuardianAppointment,
    Handover,
    HandoverDirection,
    HandoverStatus,
    PersonRequest,
    ReconsiderationRequest,
    Referral,
    ReferralState,
    ReturnKind,
    RightsInformation,
    RiskAssessment,
    SuspendReason,
)

# Purposes for which a child's data go without consent: child protection and
# the child's identification are the state's duty (CETS 197 arts. 10(1),
# 10(3), 10(4); Directive 2011/36/EU arts. 13-16; OSCE Uniform Guidelines
# 2019: a child's referral never waits for a guardian's consent); everything
# else is consent-bound.
CONSENT_FREE_PURPOSES_FOR_CHILDREN = frozenset(
    {ServiceKind.CHILD_PROTECTION, ServiceKind.IDENTIFICATION}
)
# The step that informs the person of their rights, named by the refusal of
# a consent recorded before it.
RIGHTS_STEP = "inform-of-rights"


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
        case=case,
        to_organisation_id=organisation_id,
        purpose=purpose,
        given_by=giver,
    )
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
        case=case,
        to_organisation_id=organisation_id,
        purpose__in=CONSENT_FREE_PURPOSES_FOR_CHILDREN,
        state__in=[ReferralState.ACCEPTED, ReferralState.COMPLETED],
    ).exists()


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


def require_rights_information(case: Case) -> None:
    """Consent is informed or it is not consent: the person is told of their
    rights (and the record says by whom, how and in which language) before
    any consent is recorded (CETS 197 arts. 12(1)(d), 15(1); Directive
    2011/36/EU art. 11(6); OSCE Uniform Guidelines 2019)."""
    if not RightsInformation.objects.filter(case=case).exists():
        raise Conflict(
            _(
                "Record that the person was informed of their rights first "
                "(step: inform-of-rights)."
            ),
            code="rights_information_required",
            detail={"missing_step": RIGHTS_STEP},
        )


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
        case=case,
        to_organisation_id=organisation_id,
        purpose=purpose,
        state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
    ).exists():
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


def person_request(case: Case, request_id, kind: str) -> PersonRequest | None:
    """The recorded request of the person a step names, on this case and for
    this step, or 400. None when the step names none."""
    if request_id is None:
        return None
    found = PersonRequest.objects.filter(case=case, pk=request_id, kind=kind).first()
    if found is None:
        raise InvalidInput(
            _("No such request of the person for this step on this case."),
            code="unknown_person_request",
            detail={"person_request_id": ["Not a request for this step."]},
        )
    return found


def recovery_period_running(case: Case, *, now: datetime) -> bool:
    """The period runs from a positive reasonable-grounds decision until its
    end date, or until a conclusive decision, a transfer or a close ends it:
    its deadline is open and not yet due."""
    return Deadline.objects.filter(
        case=case,
        kind=DeadlineKind.RECOVERY_PERIOD_END,
        met_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__gt=now,
    ).exists()


def require_no_removal_in_recovery_period(
    case: Case, *, now: datetime, request: PersonRequest | None
) -> None:
    """During the recovery and reflection period the person may not be
    removed: no close for return and no transfer abroad, unless a recorded
    request of the person asks for it (CETS 197 art. 13(1); Directive
    2011/36/EU art. 11(6); OSCE Uniform Guidelines 2019, recovery period)."""
    if request is not None or not recovery_period_running(case, now=now):
        return
    raise Conflict(
        _(
            "The person is in the recovery and reflection period: no return or "
            "transfer unless a recorded request of the person asks for it."
        ),
        code="recovery_period_protects",
        detail={"recovery_ends_on": _iso(case.recovery_ends_on)},
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def require_recovery_period_over(
    case: Case, *, now: datetime, request: PersonRequest | None
) -> None:
    """No conclusive decision, positive or negative, before the recovery and
    reflection period ends, unless a recorded request of the person asks for
    it (CETS 197 art. 13; Directive 2011/36/EU art. 11(6))."""
    if request is not None or case.recovery_ends_on is None:
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


def require_reconsideration_request(
    case: Case, decision: Decision
) -> ReconsiderationRequest:
    """A reconsideration answers a request: the person's, made through an
    organisation assisting them, or the registering organisation's (CETS 197
    art. 10(2); OSCE Uniform Guidelines 2019, independent review)."""
    request = (
        ReconsiderationRequest.objects.select_for_update()
        .filter(case=case, decision=decision, answered_by__isnull=True)
        .first()
    )
    if request is None:
        raise Conflict(
            _("No reconsideration of this decision has been requested."),
            code="reconsideration_not_requested",
            detail={"missing_step": "request-reconsideration"},
        )
    return request


def require_no_open_request(case: Case, decision: Decision) -> None:
    if ReconsiderationRequest.objects.filter(
        case=case, decision=decision, answered_by__isnull=True
    ).exists():
        raise Conflict(
            _("A reconsideration of this decision is already requested."),
            code="reconsideration_already_requested",
        )


def require_other_decision_maker(decision: Decision, actor_id) -> None:
    """Nobody reconsiders their own decision (CETS 197 art. 10(2); OSCE
    Uniform Guidelines 2019: an independent review)."""
    if decision.decided_by_id == actor_id:
        raise Forbidden(
            _("Another decision maker must reconsider this decision."),
            code="same_decision_maker",
        )


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


R = CloseReason
# Which reasons close a case in which state: the one table (the table in
# docs/workflow.md is generated from it). A reason that does not fit the case is refused, so
# that a case is never ended on a ground that contradicts its record (OSCE
# Uniform Guidelines 2019; CETS 197 art. 10(2): no removal before the
# identification process is complete). `assessment` has none: the competent
# authority holds the case until it decides.
CLOSE_REASONS_BY_STATE: dict[str, frozenset[str]] = {
    CaseState.REGISTERED: frozenset({R.CONSENT_WITHDRAWN, R.DECEASED}),
    CaseState.SCREENED: frozenset(
        {R.NO_INDICATORS, R.CONSENT_WITHDRAWN, R.RETURN, R.DECEASED}
    ),
    CaseState.REFERRAL_PENDING: frozenset({R.CONSENT_WITHDRAWN, R.RETURN, R.DECEASED}),
    CaseState.REFERRED: frozenset({R.CONSENT_WITHDRAWN, R.RETURN, R.DECEASED}),
    CaseState.ASSESSMENT: frozenset(),
    CaseState.PRESUMED_VICTIM: frozenset(
        {R.DURABLE_SOLUTION, R.INTEGRATION, R.CONSENT_WITHDRAWN, R.RETURN, R.DECEASED}
    ),
    CaseState.RECOGNISED: frozenset(
        {R.DURABLE_SOLUTION, R.INTEGRATION, R.CONSENT_WITHDRAWN, R.RETURN, R.DECEASED}
    ),
    CaseState.NOT_IDENTIFIED: frozenset(
        {
            R.NOT_IDENTIFIED,
            R.DURABLE_SOLUTION,
            R.CONSENT_WITHDRAWN,
            R.RETURN,
            R.DECEASED,
        }
    ),
    CaseState.TRANSFERRED: frozenset({R.TRANSFERRED, R.DECEASED}),
    CaseState.SUSPENDED: frozenset({R.CONSENT_WITHDRAWN, R.DECEASED}),
}


def require_close_reason(case: Case, reason: str) -> None:
    """Only a reason that fits the state closes a case, and the registering
    centre does not close a case the competent authority holds for its
    decision (OSCE Uniform Guidelines 2019; CETS 197 art. 10(2))."""
    if case.state == CaseState.ASSESSMENT:
        raise Conflict(
            _(
                "The competent authority is assessing this case: it cannot be "
                "closed until the authority decides."
            ),
            code="authority_holds_case",
            detail={"state": case.state},
        )
    if reason not in CLOSE_REASONS_BY_STATE.get(case.state, ()):
        raise Conflict(
            _("This reason does not fit the case's state."),
            code="close_reason_unfit",
            detail={"state": case.state, "reason": reason},
        )
    if reason in CLOSE_REASONS_NEEDING_BIA:
        require_best_interests(case)


def require_risk_assessment(case: Case) -> RiskAssessment:
    """No return, of an adult or a child, before the risks of re-trafficking
    and of return are assessed (CETS 197 art. 16(2) and (7); Directive
    2011/36/EU art. 11; OSCE Uniform Guidelines 2019)."""
    assessment = RiskAssessment.objects.filter(case=case).order_by("-assessed_at")
    latest = assessment.first()
    if latest is None:
        raise Conflict(
            _("A risk assessment of re-trafficking and of return is needed first."),
            code="risk_assessment_required",
        )
    return latest


def require_return_details(
    returning: bool,
    *,
    return_kind: str,
    partner: Organisation | None,
    partner_organisation_id,
    partner_name: str,
    person_request_id,
) -> Organisation | None:
    """A return is recorded as voluntary or forced, with the partner that
    receives the person: an organisation of the directory, or one named in
    free text (CETS 197 art. 16; Directive 2011/36/EU art. 11; OSCE Uniform
    Guidelines 2019). Another reason takes none of these."""
    given = return_kind or partner_organisation_id or partner_name.strip()
    if not returning:
        if given or person_request_id is not None:
            raise InvalidInput(
                _("Return details are for a close for return only."),
                code="return_details_unexpected",
            )
        return None
    if return_kind not in ReturnKind.values:
        raise InvalidInput(
            _("Say whether the return is voluntary or forced."),
            code="return_kind_required",
            detail={"return_kind": ["Required for a return."]},
        )
    if partner_organisation_id is not None:
        if partner is None or not partner.is_active:
            raise InvalidInput(
                _("Unknown or inactive organisation."),
                code="unknown_organisation",
                detail={"partner_organisation_id": ["Unknown or inactive."]},
            )
        return partner
    if not partner_name.strip():
        raise InvalidInput(
            _("Name the partner that receives the person in the country of return."),
            code="return_partner_required",
            detail={"partner_organisation_id": ["Required for a return."]},
        )
    return None


def require_presumed_victim(case: Case) -> None:
    """Non-punishment protects a presumed (or recognised) victim (CETS 197
    art. 26; Directive 2011/36/EU art. 8)."""
    if case.state not in (CaseState.PRESUMED_VICTIM, CaseState.RECOGNISED):
        raise Conflict(
            _("The person is not a presumed or recognised victim."),
            code="not_a_presumed_victim",
            detail={"state": case.state},
        )


def require_recognised(case: Case) -> None:
    """A residence permit follows recognition (CETS 197 art. 14)."""
    if case.state != CaseState.RECOGNISED:
        raise Conflict(
            _("The person is not recognised as a victim."),
            code="not_recognised",
            detail={"state": case.state},
        )


def require_reintegration_due(case: Case) -> None:
    """A reintegration follow-up is recorded while one is due after a
    return (CETS 197 art. 16(5); Directive 2011/36/EU art. 11)."""
    if not Deadline.objects.filter(
        case=case,
        kind=DeadlineKind.REINTEGRATION_FOLLOW_UP,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).exists():
        raise Conflict(
            _("No reintegration follow-up is due on this case."),
            code="no_reintegration_due",
        )


def require_not_in_future(day: date, *, today: date, field: str) -> None:
    if day > today:
        raise InvalidInput(
            _("The date is in the future."),
            code="date_in_future",
            detail={field: ["In the future."]},
        )


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


def no_handover_to_answer() -> Conflict:
    return Conflict(
        _("This case has no received hand-over waiting for an answer."),
        code="no_handover_to_answer",
    )


def require_return_consent(case: Case, partner) -> None:
    """A return to a country whose mechanism is a partner hands the person's
    data to that mechanism (docs/transnational.md): only with the consent in
    force for that organisation and the transnational purpose, as for a
    transfer (CETS 197 arts. 11, 16; Directive 2011/36/EU art. 11(4))."""
    from referral.transnational import partner_for

    if partner is None or partner_for(partner) is None:
        return
    if effective_consent(case, partner.pk, ServiceKind.TRANSNATIONAL) is None:
        raise Conflict(
            _(
                "A return to a partner mechanism shares the person's data with "
                "it: record the person's consent to that first."
            ),
            code="return_consent_required",
        )


def require_inbound_handover(case: Case) -> None:
    """The case was opened by a hand-over from a partner mechanism that is
    not answered yet (referral/services/transnational.py)."""
    if not Handover.objects.filter(
        case=case,
        direction=HandoverDirection.INBOUND,
        status=HandoverStatus.RECEIVED,
    ).exists():
        raise no_handover_to_answer()


def require_unanswered(referral: Referral) -> None:
    if referral.state != ReferralState.SENT:
        raise Conflict(
            _("Only an unanswered referral can be withdrawn."),
            code="referral_answered",
            detail={"state": referral.state},
        )


def require_answer_due(referral: Referral) -> None:
    """The sender gives up on a referral only once its answer is due."""
    if clock.now() <= referral.answer_due_at:
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
    "rights_information_required": "inform-of-rights",
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
    if case.person.is_child:
        # A child's identification referral waits for no consent and no
        # guardian (the guardian is told once appointed).
        return Advice(
            "send-referral",
            _("a child is referred for identification without waiting for consent"),
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
    if not RightsInformation.objects.filter(case=case).exists():
        return Advice(
            "inform-of-rights",
            _("the person is informed of their rights before being asked to consent"),
        )
    if case.latest_outcome in {"presumed", "possible"}:
        return Advice(
            "record-consent", _("the screening found indicators of trafficking")
        )
    return Advice("record-consent", _("the case is to be referred"))
