"""Every write of the workflow: one function per operation.

Each runs in one transaction: it locks the case row, asks the access policy,
checks the guards, changes the state through the graph on the model, and
writes the audit event, the deadlines and any outgoing notification (an
outbox row, delivered after commit). Arguments are keyword-only ids and
values; audit rows carry ids and codes only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from indicators import assessment as indicator_assessment
from nrm import audit, outbox
from nrm.audit import Event
from nrm.choices import ServiceKind
from nrm.errors import Conflict, DataErased, InvalidInput, NotVisible
from nrm.models import Membership, Organisation, User
from nrm.roles import Capability, Role
from nrm.selectors import active_profile, pathway_services
from referral import persons, policy, selectors, workflow
from referral.deadlines import add_working_days, end_of_day
from referral.duplicates import duplicate_check
from referral.models import (
    AnonymousNotification,
    BestInterestsAssessment,
    Case,
    CaseExploitationForm,
    CaseState,
    CloseReason,
    Consent,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    DeclineReason,
    DuplicateReview,
    GuardianAppointment,
    Referral,
    ReferralState,
    Screening,
    SuspendReason,
)
from referral.statistics import milestones

C = Capability


# Helpers shared by the services (not services themselves).


def _lock_case(actor: User, case_id: object) -> Case:
    return policy.get_visible_case(actor, case_id, for_update=True)


def _transition_event(
    case: Case, *, actor: User, membership: Membership, from_state: str,
    name: str, reason_code: str = "", extra: dict | None = None,
) -> None:  # fmt: skip
    if from_state == case.state:
        return
    audit.record(
        Event.CASE_TRANSITION, actor=actor, organisation=membership.organisation,
        role=membership.role, object_type="case", object_id=case.pk, case_id=case.pk,
        from_state=from_state, to_state=case.state, reason_code=reason_code,
        extra={"transition": name, **(extra or {})},
    )  # fmt: skip


def _event(
    action: str, *, actor: User | None, membership: Membership | None, case: Case,
    obj=None, reason_code: str = "", extra: dict | None = None,
    reason_sealed: bytes | None = None,
) -> None:  # fmt: skip
    audit.record(
        action, actor=actor,
        organisation=membership.organisation if membership else None,
        role=membership.role if membership else "",
        object_type=obj._meta.model_name if obj is not None else "case",
        object_id=obj.pk if obj is not None else case.pk,
        case_id=case.pk, reason_code=reason_code, extra=extra or {},
        reason_sealed=reason_sealed,
    )  # fmt: skip


def _grant(case: Case, organisation: Organisation, *, actor, membership) -> None:
    if policy.grant_case_access(case, organisation):
        _event(
            Event.ACCESS_GRANTED, actor=actor, membership=membership, case=case,
            extra={"organisation": str(organisation.pk)},
        )  # fmt: skip


def _revoke(case: Case, organisation: Organisation, *, actor, membership) -> None:
    if policy.revoke_case_access(case, organisation):
        _event(
            Event.ACCESS_REVOKED, actor=actor, membership=membership, case=case,
            extra={"organisation": str(organisation.pk)},
        )  # fmt: skip


def _close_deadlines(
    *, case: Case, kinds: list[str], now: datetime, met: bool,
    referral: Referral | None = None,
) -> None:  # fmt: skip
    deadlines = Deadline.objects.filter(
        case=case, kind__in=kinds, met_at__isnull=True, cancelled_at__isnull=True
    )
    if referral is not None:
        deadlines = deadlines.filter(referral=referral)
    for deadline in deadlines.select_for_update():
        if met:
            deadline.met_at = now
            deadline.save(update_fields=["met_at"])
        else:
            deadline.cancelled_at = now
            deadline.save(update_fields=["cancelled_at"])


def _organisation(organisation_id: object) -> Organisation | None:
    try:
        return Organisation.objects.filter(pk=UUID(str(organisation_id))).first()
    except (TypeError, ValueError):
        return None


# Registration and screening


@dataclass(frozen=True)
class Registration:
    case: Case
    # Opened when the person may be registered already: the officer is told
    # only that a supervisor will review it (referral/duplicates.py).
    duplicate_review: DuplicateReview | None


@transaction.atomic
def case_register(
    *,
    actor: User,
    organisation_id: object = None,
    given_names: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str,
    age_group: str,
    citizenship: str,
    is_child: bool,
    reception_stage: str,
    language: str = "",
    asylum_status: str = "unknown",
    exploitation_forms: list[str] | tuple[str, ...] = (),
    aliases: str = "",
    place_of_birth: str = "",
    contact_details: str = "",
    identity_documents: str = "",
    notes: str = "",
) -> Registration:
    """Register a person met at reception and open their case."""
    membership = policy.require_capability(actor, C.PERSON_REGISTER, organisation_id)
    organisation = membership.organisation
    now = timezone.now()
    duplicates = persons.possible_duplicates(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    person = persons.person_create(
        given_names=given_names, family_name=family_name, date_of_birth=date_of_birth,
        sex=sex, age_group=age_group, citizenship=citizenship, is_child=is_child,
        aliases=aliases, place_of_birth=place_of_birth,
        contact_details=contact_details, identity_documents=identity_documents,
        notes=notes,
    )  # fmt: skip
    case = Case(
        person=person, organisation=organisation, region=organisation.region,
        reception_stage=reception_stage, language=language,
        asylum_status=asylum_status, registered_at=now, registered_by=actor,
        state_changed_at=now,
    )  # fmt: skip
    case.full_clean(exclude=["person", "state"])
    case.save(force_insert=True)
    CaseExploitationForm.objects.bulk_create(
        [CaseExploitationForm(case=case, form=form) for form in set(exploitation_forms)]
    )
    policy.grant_case_access(case, organisation)
    if person.is_child:
        # A child (or presumed child) goes to child protection at once.
        _refer_child_to_protection(case, actor=actor, now=now)
    _event(
        Event.PERSON_REGISTERED, actor=actor, membership=membership, case=case,
        obj=person,
    )  # fmt: skip
    review = duplicate_check(
        case=case, matches=duplicates, actor=actor, membership=membership
    )
    milestones.sync(case.pk)
    return Registration(case=case, duplicate_review=review)


@dataclass(frozen=True)
class ScreeningResult:
    screening: Screening
    case: Case
    child_protection_referral: Referral | None
    warnings: tuple[str, ...]


@transaction.atomic
def screening_record(
    *,
    actor: User,
    case_id: object,
    catalogue_id: str,
    indicator_codes: list[str],
    interpreter_language: str = "",
    notes: str = "",
) -> ScreeningResult:
    """Screen with indicators, in any open state; a first screening that calls
    for referral moves the case to `referral_pending`; a child is referred to
    child protection whatever the outcome."""
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.CASE_SCREEN, case)
    first = case.state in (CaseState.REGISTERED, CaseState.SCREENED)
    workflow.require_fsm(
        case, "record_screening" if first else "record_later_screening"
    )
    try:
        result = indicator_assessment.assess(catalogue_id, indicator_codes)
    except LookupError as exc:
        raise InvalidInput(
            "Unknown indicator catalogue.", detail={"catalogue_id": [str(exc)]}
        ) from None
    except ValueError as exc:
        raise InvalidInput(
            "Unknown indicator codes.", detail={"indicator_codes": [str(exc)]}
        ) from None
    now = timezone.now()
    screening = Screening(
        case=case, catalogue_id=catalogue_id,
        indicator_codes=sorted(set(indicator_codes)),
        assessment=json.loads(json.dumps(result.to_dict(), default=str)),
        outcome=result.outcome, interpreter_language=interpreter_language,
        screened_at=now, screened_by=actor, organisation=membership.organisation,
    )  # fmt: skip
    screening.notes = notes
    screening.save(force_insert=True)
    from_state = case.state
    if first:
        case.record_screening(
            at=now, outcome=result.outcome,
            calls_for_referral=workflow.calls_for_referral(case, result.outcome),
        )  # fmt: skip
    else:
        case.record_later_screening(at=now, outcome=result.outcome)
    case.save(
        update_fields=[
            "state",
            "latest_outcome",
            "first_screened_at",
            "state_changed_at",
        ]
    )
    _event(
        Event.SCREENING_RECORDED, actor=actor, membership=membership, case=case,
        obj=screening, reason_code=result.outcome,
        extra={"catalogue_id": catalogue_id, "indicators": len(screening.indicator_codes)},
    )  # fmt: skip
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state,
        name="record_screening", reason_code=result.outcome,
    )  # fmt: skip
    milestones.sync(case.pk)
    child_referral, warnings = None, []
    if case.person.is_child:
        # Sent at registration already, as a rule; the screening reports it.
        child_referral = _refer_child_to_protection(case, actor=actor, now=now) or (
            Referral.objects.filter(
                case=case, purpose=ServiceKind.CHILD_PROTECTION,
                state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
            ).first()
        )  # fmt: skip
        if child_referral is None:
            warnings.append("no_child_protection_pathway")
    return ScreeningResult(screening, case, child_referral, tuple(warnings))


def _refer_child_to_protection(case: Case, *, actor: User, now: datetime):
    """The automatic child-protection referral: no consent needed."""
    earlier = Referral.objects.filter(case=case, purpose=ServiceKind.CHILD_PROTECTION)
    if earlier.filter(
        state__in=[ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.COMPLETED]
    ).exists():
        return None
    declined = set(
        earlier.filter(state=ReferralState.DECLINED).values_list(
            "to_organisation_id", flat=True
        )
    )
    services = [
        service
        for service in pathway_services(
            purpose=ServiceKind.CHILD_PROTECTION,
            region=case.region,
            is_child=True,
            sex=case.person.sex,
        )  # fmt: skip
        if service.organisation_id not in declined
    ]
    if not services:
        return None
    membership = policy.acting_membership(
        actor, C.PERSON_REGISTER, case
    ) or policy.acting_membership(actor, C.CASE_SCREEN, case)
    return _send_referral(
        case, to_organisation=services[0].organisation,
        purpose=ServiceKind.CHILD_PROTECTION, urgency="urgent", consent=None,
        actor=actor, membership=membership, now=now, automatic=True,
    )  # fmt: skip


@transaction.atomic
def case_flag_for_referral(*, actor: User, case_id: object, reason_code: str) -> Case:
    """Refer on professional judgement or urgent danger, whatever the
    indicators say."""
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.REFERRAL_SEND, case)
    workflow.require_fsm(case, "flag_for_referral")
    from_state = case.state
    now = timezone.now()
    case.flag_for_referral(at=now)
    case.save(update_fields=["state", "state_changed_at"])
    if case.person.is_child:
        _refer_child_to_protection(case, actor=actor, now=now)
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state,
        name="flag_for_referral", reason_code=reason_code,
    )  # fmt: skip
    return case


# Consent


@transaction.atomic
def consent_record(
    *,
    actor: User,
    case_id: object,
    to_organisation_id: object,
    purpose: str,
    given: bool,
    language: str,
    interpreter_used: bool = False,
    notes: str = "",
) -> Consent:
    """Record informed consent, or its refusal, per organisation and purpose."""
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.CONSENT_RECORD, case)
    workflow.require_open(case)
    organisation = _organisation(to_organisation_id)
    if organisation is None or not organisation.is_active:
        raise InvalidInput(
            "Unknown or inactive organisation.",
            detail={"to_organisation": ["Unknown or inactive organisation."]},
        )
    workflow.require_choice(purpose, ServiceKind, "purpose")
    giver = workflow.require_consent_giver(
        case, actor_role=membership.role, actor_id=actor.pk
    )
    consent = Consent(
        case=case, to_organisation=organisation, purpose=purpose, given=given,
        given_by=giver, guardian=actor if membership.role == Role.GUARDIAN else None,
        language=language, interpreter_used=interpreter_used,
        recorded_at=timezone.now(), recorded_by=actor,
    )  # fmt: skip
    consent.notes = notes
    consent.full_clean(exclude=["case", "to_organisation", "recorded_by", "guardian"])
    consent.save(force_insert=True)
    _event(
        Event.CONSENT_RECORDED, actor=actor, membership=membership, case=case,
        obj=consent, reason_code="given" if given else "refused",
        extra={"organisation": str(organisation.pk), "purpose": purpose},
    )  # fmt: skip
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent_id: object) -> Consent:
    """Withdrawal stops sharing: open referrals under it are withdrawn and the
    organisation's access to the case is revoked."""
    try:
        consent = Consent.objects.select_related("case").get(pk=UUID(str(consent_id)))
    except (Consent.DoesNotExist, ValueError, TypeError):
        raise NotVisible() from None
    case = _lock_case(actor, consent.case_id)
    membership = policy.require(actor, C.CONSENT_RECORD, case)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None or not consent.given:
        raise Conflict("This consent is not in force.", code="invalid_state")
    workflow.require_consent_giver(case, actor_role=membership.role, actor_id=actor.pk)
    now = timezone.now()
    consent.withdrawn_at = now
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    _event(
        Event.CONSENT_WITHDRAWN, actor=actor, membership=membership, case=case,
        obj=consent, extra={"organisation": str(consent.to_organisation_id),
                            "purpose": consent.purpose},
    )  # fmt: skip
    open_referrals = Referral.objects.select_for_update().filter(
        case=case, to_organisation_id=consent.to_organisation_id,
        purpose=consent.purpose,
        state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
    )  # fmt: skip
    for referral in open_referrals:
        _lapse_referral(
            referral, case, method="withdraw", event=Event.REFERRAL_WITHDRAWN,
            actor=actor, membership=membership, now=now, reason="consent_withdrawn",
        )  # fmt: skip
    still_consented = Consent.objects.filter(
        case=case, to_organisation_id=consent.to_organisation_id, given=True,
        withdrawn_at__isnull=True,
    ).exists()  # fmt: skip
    keeps_access = still_consented or workflow.holds_consent_free_referral(
        case, consent.to_organisation_id
    )
    if not keeps_access:
        _revoke(case, consent.to_organisation, actor=actor, membership=membership)
    return consent


# Referrals


def _send_referral(
    case: Case, *, to_organisation: Organisation, purpose: str, urgency: str,
    consent: Consent | None, actor: User, membership: Membership | None,
    now: datetime, automatic: bool = False,
) -> Referral:  # fmt: skip
    profile = active_profile()
    referral = Referral(
        case=case, from_organisation=case.organisation if membership is None
        else membership.organisation,
        to_organisation=to_organisation, purpose=purpose, urgency=urgency,
        consent=consent, sent_at=now, sent_by=actor,
        answer_due_at=add_working_days(now, profile.referral_answer_working_days, profile),
    )  # fmt: skip
    referral.save(force_insert=True)
    deadlines = [
        Deadline(
            case=case, referral=referral, kind=DeadlineKind.REFERRAL_ANSWER,
            organisation=to_organisation, due_at=referral.answer_due_at,
        )
    ]  # fmt: skip
    if purpose == ServiceKind.IDENTIFICATION:
        deadlines.append(
            Deadline(
                case=case, referral=referral, kind=DeadlineKind.RG_DECISION,
                organisation=to_organisation,
                due_at=add_working_days(now, profile.rg_decision_working_days, profile),
            )
        )  # fmt: skip
    Deadline.objects.bulk_create(deadlines)
    outbox.enqueue(
        "referral.received", organisation=to_organisation, referral_id=referral.pk,
        purpose=purpose, urgency=urgency,
    )  # fmt: skip
    _event(
        Event.REFERRAL_SENT, actor=actor, membership=membership, case=case,
        obj=referral, reason_code=purpose,
        extra={"to": str(to_organisation.pk), "automatic": automatic},
    )  # fmt: skip
    return referral


@transaction.atomic
def referral_send(
    *,
    actor: User,
    case_id: object,
    to_organisation_id: object,
    purpose: str,
    urgency: str = "routine",
) -> Referral:
    """Send a referral. An adult's data go only with their consent for that
    organisation and purpose; an identification referral moves the case to
    `referred`."""
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.REFERRAL_SEND, case)
    if purpose == ServiceKind.TRANSNATIONAL:
        raise InvalidInput(
            "A transnational referral is made by transferring the case.",
            detail={"purpose": ["Use the transfer step."]},
        )
    organisation = workflow.require_recipient(
        _organisation(to_organisation_id), purpose
    )
    if purpose == ServiceKind.IDENTIFICATION:
        workflow.require_fsm(case, "send_identification_referral")
    else:
        workflow.require_open(case)
    workflow.require_no_pending_referral(case, organisation.pk, purpose)
    consent = workflow.require_consent(case, organisation.pk, purpose)
    now = timezone.now()
    referral = _send_referral(
        case, to_organisation=organisation, purpose=purpose, urgency=urgency,
        consent=consent, actor=actor, membership=membership, now=now,
    )  # fmt: skip
    if purpose == ServiceKind.IDENTIFICATION:
        from_state = case.state
        case.send_identification_referral(at=now)
        case.save(update_fields=["state", "referred_at", "state_changed_at"])
        _transition_event(
            case, actor=actor, membership=membership, from_state=from_state,
            name="send_identification_referral",
        )  # fmt: skip
        milestones.sync(case.pk)
    return referral


def _lock_referral(actor: User, referral_id: object) -> tuple[Referral, Case]:
    """Lock the case, then the referral (the same order everywhere)."""
    visible = policy.get_visible_referral(actor, referral_id)
    case = (
        Case.objects.select_for_update()
        .select_related("person")
        .get(pk=visible.case_id)
    )
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("from_organisation", "to_organisation")
        .get(pk=visible.pk)
    )
    return referral, case


@transaction.atomic
def referral_accept(*, actor: User, referral_id: object) -> Referral:
    referral, case = _lock_referral(actor, referral_id)
    membership = policy.require_answer(actor, referral)
    workflow.require_fsm(referral, "accept")
    if referral.purpose != ServiceKind.TRANSNATIONAL:
        workflow.require_open(case)
    if referral.purpose == ServiceKind.IDENTIFICATION:
        workflow.require_fsm(case, "accept_identification_referral")
    now = timezone.now()
    referral.accept(at=now)
    referral.answered_by = actor
    referral.save(update_fields=["state", "answered_at", "answered_by"])
    _close_deadlines(
        case=case, kinds=[DeadlineKind.REFERRAL_ANSWER], now=now, met=True,
        referral=referral,
    )  # fmt: skip
    if referral.purpose != ServiceKind.TRANSNATIONAL:
        # A foreign mechanism receives the sealed hand-over package, never
        # the case (DESIGN.md section 3, the transit route).
        _grant(case, referral.to_organisation, actor=actor, membership=membership)
    _event(
        Event.REFERRAL_ACCEPTED, actor=actor, membership=membership, case=case,
        obj=referral, reason_code=referral.purpose,
    )  # fmt: skip
    if referral.purpose == ServiceKind.IDENTIFICATION:
        from_state = case.state
        case.accept_identification_referral(at=now)
        case.save(update_fields=["state", "assessment_started_at", "state_changed_at"])
        _transition_event(
            case, actor=actor, membership=membership, from_state=from_state,
            name="accept_identification_referral",
        )  # fmt: skip
    outbox.enqueue(
        "referral.accepted", organisation=referral.from_organisation,
        referral_id=referral.pk,
    )  # fmt: skip
    milestones.sync(case.pk)
    return referral


def _lapse_referral(
    referral: Referral, case: Case, *, method: str, event: str, actor: User | None,
    membership: Membership | None, now: datetime, reason: str = "",
) -> None:  # fmt: skip
    """Decline, withdraw or expire; an identification referral lapsing sends
    the case back to `referral_pending` to choose another recipient."""
    workflow.require_fsm(referral, method)
    if method == "decline":
        referral.decline(at=now, reason=reason)
        referral.answered_by = actor
        referral.save(update_fields=["state", "answered_at", "decline_reason",
                                     "answered_by"])  # fmt: skip
    else:
        getattr(referral, method)(at=now)
        referral.save(update_fields=["state", "answered_at"])
    # A decline answers (the answer deadline is met); the decision deadline
    # lapses whatever happened; a withdrawn or expired referral was never
    # answered, so its answer deadline stays as it was (overdue or not).
    if method == "decline":
        _close_deadlines(
            case=case, kinds=[DeadlineKind.REFERRAL_ANSWER], now=now, met=True,
            referral=referral,
        )  # fmt: skip
    elif method == "withdraw":
        _close_deadlines(
            case=case, kinds=[DeadlineKind.REFERRAL_ANSWER], now=now, met=False,
            referral=referral,
        )  # fmt: skip
    _close_deadlines(
        case=case, kinds=[DeadlineKind.RG_DECISION, DeadlineKind.RECOVERY_PERIOD_END],
        now=now, met=False, referral=referral,
    )  # fmt: skip
    _event(
        event, actor=actor, membership=membership, case=case, obj=referral,
        reason_code=reason,
    )  # fmt: skip
    if referral.purpose != ServiceKind.IDENTIFICATION:
        return
    if case.state == CaseState.SUSPENDED:
        # Resume must not return to a referral that no longer runs.
        case.forget_lapsed_referral_while_suspended()
        case.save(update_fields=["state_before_suspension"])
    elif case.state in (CaseState.REFERRED, CaseState.ASSESSMENT):
        from_state = case.state
        case.identification_referral_lapsed(at=now)
        case.save(update_fields=["state", "state_changed_at"])
        _transition_event(
            case, actor=actor, membership=membership, from_state=from_state,
            name="identification_referral_lapsed", reason_code=method,
        )  # fmt: skip


def _withdraw_open_referrals(
    case: Case, *, actor: User, membership: Membership, now: datetime
) -> None:
    """A case that ends takes its unanswered referrals with it."""
    for referral in Referral.objects.select_for_update().filter(
        case=case, state=ReferralState.SENT
    ):
        _lapse_referral(
            referral, case, method="withdraw", event=Event.REFERRAL_WITHDRAWN,
            actor=actor, membership=membership, now=now, reason="case_ended",
        )  # fmt: skip
        outbox.enqueue(
            "referral.withdrawn", organisation=referral.to_organisation,
            referral_id=referral.pk,
        )  # fmt: skip


@transaction.atomic
def referral_decline(*, actor: User, referral_id: object, reason: str) -> Referral:
    referral, case = _lock_referral(actor, referral_id)
    membership = policy.require_answer(actor, referral)
    workflow.require_choice(reason, DeclineReason, "reason")
    _lapse_referral(
        referral, case, method="decline", event=Event.REFERRAL_DECLINED, actor=actor,
        membership=membership, now=timezone.now(), reason=reason,
    )  # fmt: skip
    outbox.enqueue(
        "referral.declined", organisation=referral.from_organisation,
        referral_id=referral.pk, reason=reason,
    )  # fmt: skip
    milestones.sync(case.pk)
    return referral


@transaction.atomic
def referral_withdraw(*, actor: User, referral_id: object) -> Referral:
    referral, case = _lock_referral(actor, referral_id)
    membership = policy.require_sender(actor, referral)
    if referral.state != ReferralState.SENT:
        raise Conflict("Only an unanswered referral can be withdrawn.",
                       code="invalid_state", detail={"state": referral.state})  # fmt: skip
    _lapse_referral(
        referral, case, method="withdraw", event=Event.REFERRAL_WITHDRAWN,
        actor=actor, membership=membership, now=timezone.now(),
    )  # fmt: skip
    outbox.enqueue(
        "referral.withdrawn", organisation=referral.to_organisation,
        referral_id=referral.pk,
    )  # fmt: skip
    return referral


@transaction.atomic
def referral_expire(*, actor: User, referral_id: object) -> Referral:
    """The sender gives up on an unanswered referral once its answer is due."""
    referral, case = _lock_referral(actor, referral_id)
    membership = policy.require_sender(actor, referral)
    now = timezone.now()
    if referral.state == ReferralState.SENT and now <= referral.answer_due_at:
        raise Conflict("The referral's answer is not yet due.", code="not_yet_due")
    _lapse_referral(
        referral, case, method="expire", event=Event.REFERRAL_EXPIRED, actor=actor,
        membership=membership, now=now,
    )  # fmt: skip
    outbox.enqueue(
        "referral.expired", organisation=referral.to_organisation,
        referral_id=referral.pk,
    )  # fmt: skip
    return referral


@transaction.atomic
def referral_complete(*, actor: User, referral_id: object) -> Referral:
    referral, case = _lock_referral(actor, referral_id)
    membership = policy.require_answer(actor, referral)
    workflow.require_fsm(referral, "complete")
    referral.complete(at=timezone.now())
    referral.save(update_fields=["state", "completed_at"])
    _event(
        Event.REFERRAL_COMPLETED, actor=actor, membership=membership, case=case,
        obj=referral,
    )  # fmt: skip
    return referral


@transaction.atomic
def anonymous_notification_send(
    *, actor: User, case_id: object, to_organisation_id: object = None
) -> AnonymousNotification:
    """An adult refused consent: tell the competent authority that a presumed
    victim was met, with coarse attributes only."""
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.REFERRAL_SEND, case)
    workflow.require_open(case)
    workflow.require_refused_consent(case)
    if to_organisation_id in (None, ""):
        services = pathway_services(
            purpose=ServiceKind.IDENTIFICATION, region=case.region, is_child=False
        )
        if not services:
            raise Conflict(
                "No identification pathway is configured.", code="no_pathway"
            )
        organisation = services[0].organisation
    else:
        organisation = workflow.require_recipient(
            _organisation(to_organisation_id), ServiceKind.IDENTIFICATION
        )
    person = case.person
    notification = AnonymousNotification.objects.create(
        case=case, from_organisation=membership.organisation,
        to_organisation=organisation, sex=person.sex, age_group=person.age_group,
        citizenship=person.citizenship,
        exploitation_forms=sorted(case.forms.values_list("form", flat=True)),
        sent_at=timezone.now(), sent_by=actor,
    )  # fmt: skip
    outbox.enqueue(
        "referral.anonymous_notification", organisation=organisation,
        notification_id=notification.pk,
    )  # fmt: skip
    _event(
        Event.ANONYMOUS_NOTIFICATION, actor=actor, membership=membership, case=case,
        obj=notification, extra={"to": str(organisation.pk)},
    )  # fmt: skip
    return notification


# Decisions


@transaction.atomic
def decision_take(
    *,
    actor: User,
    case_id: object,
    kind: str,
    positive: bool,
    reasons: str,
    at_person_request: bool = False,
) -> Decision:
    """Reasonable grounds, conclusive grounds or reconsideration, by a decision
    maker of the competent authority that accepted the referral, with
    written reasons."""
    case = _lock_case(actor, case_id)
    membership, referral = policy.require_decision_maker(actor, case)
    if not reasons or not reasons.strip():
        raise InvalidInput(
            "A decision needs written reasons.", detail={"reasons": ["Required."]}
        )
    profile = active_profile()
    now = timezone.now()
    from_state = case.state
    reconsiders = None
    if kind == DecisionKind.REASONABLE_GROUNDS:
        workflow.require_fsm(case, "decide_reasonable_grounds")
        recovery_end = timezone.localdate(now) + timedelta(
            days=profile.recovery_period_days
        )
        case.decide_reasonable_grounds(
            at=now,
            positive=positive,
            recovery_ends_on=recovery_end if positive else None,
        )
        _close_deadlines(case=case, kinds=[DeadlineKind.RG_DECISION], now=now, met=True)
    elif kind == DecisionKind.CONCLUSIVE_GROUNDS:
        workflow.require_fsm(case, "decide_conclusive_grounds")
        workflow.require_recovery_period_over(
            case, now=now, at_person_request=at_person_request
        )
        case.decide_conclusive_grounds(at=now, positive=positive)
        _close_deadlines(
            case=case, kinds=[DeadlineKind.RECOVERY_PERIOD_END], now=now, met=True
        )
    elif kind == DecisionKind.RECONSIDERATION:
        workflow.require_fsm(case, "reconsider")
        reconsiders = workflow.reconsiderable_decision(case, now=now, profile=profile)
        of_kind = workflow.reconsidered_kind(reconsiders)
        recovery_end = timezone.localdate(now) + timedelta(
            days=profile.recovery_period_days
        )
        case.reconsider(
            at=now, positive=positive, of_kind=of_kind,
            recovery_ends_on=recovery_end if positive else None,
        )  # fmt: skip
    else:
        raise InvalidInput("Unknown decision kind.", detail={"kind": ["Unknown."]})
    case.save(
        update_fields=["state", "rg_decided_at", "recovery_ends_on", "cg_decided_at",
                       "state_changed_at"]
    )  # fmt: skip
    decision = Decision(
        case=case, kind=kind, reconsiders=reconsiders, positive=positive,
        referral=referral, organisation=membership.organisation, decided_by=actor,
        decided_at=now, at_person_request=at_person_request,
    )  # fmt: skip
    decision.reasons = reasons
    decision.save(force_insert=True)
    if case.state == CaseState.PRESUMED_VICTIM and from_state != case.state:
        Deadline.objects.create(
            case=case, referral=referral, kind=DeadlineKind.RECOVERY_PERIOD_END,
            organisation=membership.organisation,
            due_at=end_of_day(case.recovery_ends_on),
        )  # fmt: skip
    outcome = "positive" if positive else "negative"
    _event(
        Event.DECISION_TAKEN, actor=actor, membership=membership, case=case,
        obj=decision, reason_code=f"{kind}:{outcome}",
        extra={"at_person_request": at_person_request},
    )  # fmt: skip
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state,
        name=f"decide_{kind}", reason_code=outcome,
    )  # fmt: skip
    outbox.enqueue(
        "decision.taken", organisation=case.organisation, decision_id=decision.pk,
        decision_kind=kind, outcome=outcome,
    )  # fmt: skip
    milestones.sync(case.pk)
    return decision


# Children


@transaction.atomic
def guardian_appoint(
    *, actor: User, case_id: object, guardian_id: object
) -> GuardianAppointment:
    case = _lock_case(actor, case_id)
    membership = policy.require_child_protection(actor, C.GUARDIAN_APPOINT, case)
    workflow.require_open(case)
    workflow.require_child(case)
    try:
        guardian = selectors.guardians().get(pk=UUID(str(guardian_id)))
    except (User.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            "That user is not a guardian.", detail={"guardian": ["Not a guardian."]}
        ) from None
    now = timezone.now()
    for previous in GuardianAppointment.objects.select_for_update().filter(
        case=case, ended_at__isnull=True
    ):
        previous.ended_at = now
        previous.save(update_fields=["ended_at"])
    appointment = GuardianAppointment.objects.create(
        case=case, guardian=guardian, appointed_at=now, recorded_by=actor
    )
    _event(
        Event.GUARDIAN_APPOINTED, actor=actor, membership=membership, case=case,
        obj=appointment, extra={"guardian": str(guardian.pk)},
    )  # fmt: skip
    return appointment


@transaction.atomic
def best_interests_record(
    *, actor: User, case_id: object, recommendation: str, summary: str
) -> BestInterestsAssessment:
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.BEST_INTERESTS_ASSESS, case)
    workflow.require_open(case)
    workflow.require_child(case)
    assessment = BestInterestsAssessment(
        case=case, recommendation=recommendation, assessed_at=timezone.now(),
        assessed_by=actor, organisation=membership.organisation,
    )  # fmt: skip
    assessment.summary = summary
    assessment.full_clean(exclude=["case", "assessed_by", "organisation"])
    assessment.save(force_insert=True)
    _event(
        Event.BEST_INTERESTS_RECORDED, actor=actor, membership=membership, case=case,
        obj=assessment, reason_code=recommendation,
    )  # fmt: skip
    return assessment


# Lost contact, transit, closure


@transaction.atomic
def case_suspend(*, actor: User, case_id: object, reason: str) -> Case:
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.CASE_ASSIST, case)
    workflow.require_fsm(case, "suspend")
    workflow.require_choice(reason, SuspendReason, "reason")
    workflow.require_suspend_reason(case, reason)
    from_state = case.state
    case.suspend(at=timezone.now())
    case.save(update_fields=["state", "state_before_suspension", "suspended_at",
                             "state_changed_at"])  # fmt: skip
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state,
        name="suspend", reason_code=reason,
    )  # fmt: skip
    return case


@transaction.atomic
def case_resume(*, actor: User, case_id: object) -> Case:
    case = _lock_case(actor, case_id)
    membership = policy.require(actor, C.CASE_ASSIST, case)
    workflow.require_fsm(case, "resume")
    from_state = case.state
    case.resume(at=timezone.now())
    case.save(update_fields=["state", "state_before_suspension", "suspended_at",
                             "state_changed_at"])  # fmt: skip
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state, name="resume"
    )
    return case


@transaction.atomic
def case_transfer(
    *, actor: User, case_id: object, country: str, to_organisation_id: object = None
) -> Referral:
    """The transit route: a transnational referral with a minimal, sealed
    hand-over package; the local case ends `transferred`."""
    case = _lock_case(actor, case_id)
    membership = policy.require_at_registering_organisation(actor, C.CASE_ASSIST, case)
    workflow.require_fsm(case, "transfer")
    if to_organisation_id in (None, ""):
        services = pathway_services(
            purpose=ServiceKind.TRANSNATIONAL, region=case.region,
            is_child=case.person.is_child,
        )  # fmt: skip
        if not services:
            raise Conflict("No transnational pathway is configured.", code="no_pathway")
        organisation = services[0].organisation
    else:
        organisation = workflow.require_recipient(
            _organisation(to_organisation_id), ServiceKind.TRANSNATIONAL
        )
    workflow.require_best_interests(case, for_what="a child's transfer")
    workflow.require_foreign_country(country, active_profile())
    consent = workflow.require_consent(case, organisation.pk, ServiceKind.TRANSNATIONAL)
    now = timezone.now()
    _withdraw_open_referrals(case, actor=actor, membership=membership, now=now)
    referral = _send_referral(
        case, to_organisation=organisation, purpose=ServiceKind.TRANSNATIONAL,
        urgency="routine", consent=consent, actor=actor, membership=membership, now=now,
    )  # fmt: skip
    referral.handover = json.dumps(_handover_package(case), sort_keys=True)
    referral.save(update_fields=["handover"])
    from_state = case.state
    case.transfer(at=now, country=country)
    case.save(update_fields=["state", "transferred_at", "transfer_country",
                             "state_changed_at", "state_before_suspension",
                             "suspended_at"])  # fmt: skip
    _close_deadlines(
        case=case, kinds=[DeadlineKind.RG_DECISION, DeadlineKind.RECOVERY_PERIOD_END],
        now=now, met=False,
    )  # fmt: skip
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state,
        name="transfer", extra={"country": country},
    )  # fmt: skip
    milestones.sync(case.pk)
    return referral


def _handover_package(case: Case) -> dict:
    """The minimum a receiving mechanism needs to find and help the person."""
    person = case.person
    return {
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat()
        if person.date_of_birth
        else None,
        "language": case.language,
        "contact_details": person.contact_details,
        "is_child": person.is_child,
        "state": case.state,
    }


@transaction.atomic
def case_close(*, actor: User, case_id: object, reason: str) -> Case:
    case = _lock_case(actor, case_id)
    membership = policy.require_at_registering_organisation(actor, C.CASE_CLOSE, case)
    workflow.require_fsm(case, "close")
    workflow.require_choice(reason, CloseReason, "reason")
    workflow.require_close_reason(case, reason)
    now = timezone.now()
    from_state = case.state
    _withdraw_open_referrals(case, actor=actor, membership=membership, now=now)
    case.close(at=now, reason=reason)
    case.save(
        update_fields=["state", "closed_at", "close_reason", "state_changed_at",
                       "state_before_suspension", "suspended_at"]
    )  # fmt: skip
    Deadline.objects.filter(
        case=case, met_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    _transition_event(
        case, actor=actor, membership=membership, from_state=from_state, name="close",
        reason_code=reason,
    )  # fmt: skip
    return case


# Personal data


PERSON_FIELDS = (
    "given_names", "family_name", "aliases", "date_of_birth", "place_of_birth",
    "contact_details", "identity_documents", "notes",
)  # fmt: skip


@transaction.atomic
def person_read(
    *, actor: User, case: Case, fields: tuple[str, ...] = PERSON_FIELDS
) -> dict:
    """Open the person's personal data for a user the policy allows; the read
    is an audited event naming the fields."""
    membership = policy.require(actor, C.PERSON_READ, case)
    person = case.person
    if person.is_erased:
        return {"erased": True}
    values = {name: getattr(person, name) for name in fields}
    _event(
        Event.PERSON_READ, actor=actor, membership=membership, case=case, obj=person,
        extra={"fields": list(fields)},
    )  # fmt: skip
    return values


@transaction.atomic
def person_erase(*, actor: User, case_id: object) -> Case:
    """Crypto-shredding: the person's data key is destroyed."""
    case = _lock_case(actor, case_id)
    membership = policy.require_at_registering_organisation(actor, C.PERSON_ERASE, case)
    if case.person.is_erased:
        raise Conflict("This person's data were already erased.", code="erased")
    persons.person_erase(person_id=case.person_id)
    _event(
        Event.PERSON_ERASED, actor=actor, membership=membership, case=case,
        obj=case.person,
    )  # fmt: skip
    return case


# Deadlines


def deadlines_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark newly overdue deadlines and notify the responsible organisation.
    Safe to run concurrently: each deadline is taken once (SKIP LOCKED)."""
    now = now or timezone.now()
    notified = 0
    while True:
        with transaction.atomic():
            # The audit chain head first, as the services take it before (or
            # without) deadline rows: one lock order, no deadlock.
            audit.lock_chain()
            batch = list(
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    due_at__lt=now,
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    overdue_notified_at__isnull=True,
                )  # fmt: skip
                .select_related("organisation")
                .order_by("due_at")[:batch_size]
            )
            if not batch:
                return notified
            for deadline in batch:
                deadline.overdue_notified_at = now
                deadline.save(update_fields=["overdue_notified_at"])
                outbox.enqueue(
                    "deadline.overdue", organisation=deadline.organisation,
                    deadline_id=deadline.pk, deadline_kind=deadline.kind,
                    case_id=deadline.case_id,
                )  # fmt: skip
                audit.record(
                    Event.DEADLINE_OVERDUE, actor=None,
                    organisation=deadline.organisation, object_type="deadline",
                    object_id=deadline.pk, case_id=deadline.case_id,
                    reason_code=deadline.kind,
                )  # fmt: skip
                notified += 1


# Oversight


def _uuid_or_invalid(value, name: str):
    if value in (None, ""):
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput("Not a valid id.", detail={name: ["Invalid id."]}) from None


@transaction.atomic
def audit_trail_read(
    *,
    actor: User,
    organisation_id: object = None,
    case_id: object = None,
    user_id: object = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    export: bool = False,
):
    """A supervisor's view of the organisation's trail; an export of it is
    itself audited."""
    membership = policy.require_capability(actor, C.AUDIT_READ, organisation_id)
    if action and action not in Event.values:
        # Only known codes: nothing a reader types reaches the trail.
        raise InvalidInput("Unknown action.", detail={"action": ["Unknown action."]})
    queryset = selectors.audit_events_for(
        actor,
        membership.organisation_id,
        case_id=_uuid_or_invalid(case_id, "case"),
        user_id=_uuid_or_invalid(user_id, "user"),
        action=action, since=since, until=until,
    )  # fmt: skip
    if export:
        audit.record(
            Event.AUDIT_EXPORTED, actor=actor, organisation=membership.organisation,
            role=membership.role, object_type="organisation",
            object_id=membership.organisation_id,
            extra={"case": str(case_id or ""), "user": str(user_id or ""),
                   "action": action or "", "format": "csv"},
        )  # fmt: skip
    return membership, queryset


@transaction.atomic
def subject_access_export(*, actor: User, case_id: object) -> dict:
    """Everything held about the data subject of a case, decrypted, for an
    access request (GDPR art. 15), by a supervisor of the registering
    organisation. The export is an audited event."""
    case = _lock_case(actor, case_id)
    membership = policy.require_at_registering_organisation(
        actor, C.SUBJECT_ACCESS, case
    )
    person = case.person
    if person.is_erased:
        raise DataErased("This person's data were erased.")
    document: dict = {
        "generated_at": timezone.now().isoformat(),
        "person": {
            name: (value.isoformat() if isinstance(value, date) else value)
            for name in PERSON_FIELDS
            for value in [getattr(person, name)]
        }
        | {
            "sex": person.sex,
            "age_group": person.age_group,
            "citizenship": person.citizenship,
            "is_child": person.is_child,
        },  # fmt: skip
        "cases": [],
    }
    for each in Case.objects.filter(person=person).select_related("organisation"):
        document["cases"].append(_case_document(each))
    audit.record(
        Event.SUBJECT_ACCESS_EXPORTED, actor=actor, organisation=membership.organisation,
        role=membership.role, object_type="person", object_id=person.pk,
        case_id=case.pk,
    )  # fmt: skip
    return document


def _case_document(case: Case) -> dict:
    def when(value):
        return value.isoformat() if value else None

    return {
        "id": str(case.pk),
        "registered_by_organisation": case.organisation.name,
        "registered_at": when(case.registered_at),
        "state": case.state,
        "reception_stage": case.reception_stage,
        "asylum_status": case.asylum_status,
        "exploitation_forms": sorted(case.forms.values_list("form", flat=True)),
        "screenings": [
            {"at": when(x.screened_at), "catalogue": x.catalogue_id,
             "indicators": x.indicator_codes, "outcome": x.outcome, "notes": x.notes}
            for x in case.screenings.all()
        ],
        "consents": [
            {"at": when(x.recorded_at), "organisation": x.to_organisation.name,
             "purpose": x.purpose, "given": x.given, "given_by": x.given_by,
             "withdrawn_at": when(x.withdrawn_at), "notes": x.notes}
            for x in case.consents.select_related("to_organisation")
        ],
        "referrals": [
            {"at": when(x.sent_at), "from": x.from_organisation.name,
             "to": x.to_organisation.name, "purpose": x.purpose, "state": x.state}
            for x in case.referrals.select_related("from_organisation", "to_organisation")
        ],
        "decisions": [
            {"at": when(x.decided_at), "kind": x.kind, "positive": x.positive,
             "by_organisation": x.organisation.name, "reasons": x.reasons}
            for x in case.decisions.select_related("organisation")
        ],
        "best_interests_assessments": [
            {"at": when(x.assessed_at), "recommendation": x.recommendation,
             "summary": x.summary}
            for x in case.best_interests_assessments.all()
        ],
        "history": [
            {"at": when(e.occurred_at), "action": e.action,
             "organisation": e.organisation.name if e.organisation else None,
             "from_state": e.from_state, "to_state": e.to_state,
             "reason_code": e.reason_code}
            for e in selectors.case_history(case)
        ],
    }  # fmt: skip
