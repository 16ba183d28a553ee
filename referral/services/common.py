"""What the services share: the transition tail (`fire`, `transit`), the
audit helpers, grants, deadlines, and the referrals that steps send or end
on their way (the automatic child-protection referral, a transfer's, a
case's end). Not services themselves."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.db import models

from nrm import audit, outbox
from nrm.audit import Event
from nrm.choices import OrganisationKind, ServiceKind
from nrm.models import Membership, Organisation, User
from nrm.outbox import Notification
from nrm.roles import Capability as C
from nrm.selectors import active_profile, pathway_services
from referral import policy, workflow
from referral.deadlines import add_working_days
from referral.models import (
    Case,
    CaseState,
    Consent,
    Deadline,
    DeadlineKind,
    Referral,
    ReferralState,
)


def fire(obj: models.Model, transition: str, **arguments) -> str:
    """Remember the state, fire the graph transition, save the state and
    exactly the fields the transition declares (`custom={"writes": ...}`).
    Returns the state it left."""
    from_state = obj.state
    declared = getattr(type(obj), transition)._django_fsm.get_transition(from_state)
    writes = declared.custom["writes"] if declared is not None else ()
    getattr(obj, transition)(**arguments)
    obj.save(update_fields=["state", *writes])
    return from_state


def transit(
    case: Case,
    transition: str,
    *,
    actor: User | None,
    membership: Membership | None,
    reason_code: str = "",
    extra: dict | None = None,
    **arguments,
) -> str:
    """The tail of every case transition: `fire` it, then write the
    transition event when the state moved. Returns the state it left."""
    from_state = fire(case, transition, **arguments)
    if from_state == case.state:
        return from_state
    audit.record(
        Event.CASE_TRANSITION,
        actor=actor,
        organisation=membership.organisation if membership else None,
        role=membership.role if membership else "",
        object_type="case",
        object_id=case.pk,
        case_id=case.pk,
        from_state=from_state,
        to_state=case.state,
        reason_code=reason_code,
        extra={"transition": transition, **(extra or {})},
    )
    return from_state


def event(
    action: str,
    *,
    actor: User | None,
    membership: Membership | None,
    case: Case,
    obj=None,
    reason_code: str = "",
    extra: dict | None = None,
    reason_sealed: bytes | None = None,
) -> None:
    audit.record(
        action,
        actor=actor,
        organisation=membership.organisation if membership else None,
        role=membership.role if membership else "",
        object_type=obj._meta.model_name if obj is not None else "case",
        object_id=obj.pk if obj is not None else case.pk,
        case_id=case.pk,
        reason_code=reason_code,
        extra=extra or {},
        reason_sealed=reason_sealed,
    )


def grant(case: Case, organisation: Organisation, *, actor, membership) -> None:
    if policy.grant_case_access(case, organisation):
        event(
            Event.ACCESS_GRANTED,
            actor=actor,
            membership=membership,
            case=case,
            extra={"organisation": str(organisation.pk)},
        )


def revoke(case: Case, organisation: Organisation, *, actor, membership) -> None:
    if policy.revoke_case_access(case, organisation):
        event(
            Event.ACCESS_REVOKED,
            actor=actor,
            membership=membership,
            case=case,
            extra={"organisation": str(organisation.pk)},
        )


def close_deadlines(
    *,
    case: Case,
    kinds: list[str],
    now: datetime,
    met: bool,
    referral: Referral | None = None,
) -> None:
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


# The recovery and reflection period's notices to the migration authority.


def migration_authorities() -> list[Organisation]:
    """Who must know that the person may not be removed: the profile's
    migration authority, or by default every active police / border
    authority of the directory (docs/protections.md)."""
    profile = active_profile()
    if profile.migration_authority_id and profile.migration_authority.is_active:
        return [profile.migration_authority]
    return list(
        Organisation.objects.filter(
            kind=OrganisationKind.POLICE_BORDER, is_active=True
        ).order_by("name")
    )


def notify_migration_authority(
    case: Case,
    kind: str,
    *,
    actor: User | None,
    membership: Membership | None,
    **payload,
) -> None:
    """A protection notice carries what stops a removal and nothing more: the
    case number and the period's end (CETS 197 art. 13(1); Directive
    2011/36/EU art. 11(6)); no name, no date of birth, no narrative."""
    ends_on = case.recovery_ends_on.isoformat() if case.recovery_ends_on else ""
    for authority in migration_authorities():
        outbox.enqueue(
            kind,
            organisation=authority,
            case_reference=case.reference,
            recovery_ends_on=ends_on,
            **payload,
        )
        event(
            Event.PROTECTION_NOTICE_SENT,
            actor=actor,
            membership=membership,
            case=case,
            reason_code=kind,
            extra={"to": str(authority.pk), **payload},
        )


def end_recovery_period(
    case: Case,
    *,
    now: datetime,
    met: bool,
    cause: str,
    actor: User | None,
    membership: Membership | None,
    referral: Referral | None = None,
) -> None:
    """End the recovery period's deadline (met by a conclusive decision,
    cancelled by a transfer, a close or a lapsed referral), never silently:
    while the period still ran, the migration authority is told it ended."""
    running = Deadline.objects.filter(
        case=case,
        kind=DeadlineKind.RECOVERY_PERIOD_END,
        met_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__gt=now,
    )
    if referral is not None:
        running = running.filter(referral=referral)
    was_running = running.exists()
    close_deadlines(
        case=case,
        kinds=[DeadlineKind.RECOVERY_PERIOD_END],
        now=now,
        met=met,
        referral=referral,
    )
    if was_running:
        notify_migration_authority(
            case,
            Notification.PROTECTION_ENDED,
            actor=actor,
            membership=membership,
            cause=cause,
        )


def organisation(organisation_id: UUID | None) -> Organisation | None:
    if organisation_id is None:
        return None
    return Organisation.objects.filter(pk=organisation_id).first()


# Referrals the steps send or end on the way (the automatic child-protection
# referral, a transfer's, a case's end).


def send_referral(
    case: Case,
    *,
    to_organisation: Organisation,
    purpose: str,
    urgency: str,
    consent: Consent | None,
    actor: User,
    membership: Membership | None,
    now: datetime,
    automatic: bool = False,
) -> Referral:
    profile = active_profile()
    referral = Referral(
        case=case,
        from_organisation=case.organisation
        if membership is None
        else membership.organisation,
        to_organisation=to_organisation,
        purpose=purpose,
        urgency=urgency,
        consent=consent,
        sent_at=now,
        sent_by=actor,
        answer_due_at=add_working_days(
            now, profile.referral_answer_working_days, profile
        ),
    )
    referral.save(force_insert=True)
    deadlines = [
        Deadline(
            case=case,
            referral=referral,
            kind=DeadlineKind.REFERRAL_ANSWER,
            organisation=to_organisation,
            due_at=referral.answer_due_at,
        )
    ]
    if purpose == ServiceKind.IDENTIFICATION:
        deadlines.append(
            Deadline(
                case=case,
                referral=referral,
                kind=DeadlineKind.RG_DECISION,
                organisation=to_organisation,
                due_at=add_working_days(now, profile.rg_decision_working_days, profile),
            )
        )
    Deadline.objects.bulk_create(deadlines)
    outbox.enqueue(
        "referral.received",
        organisation=to_organisation,
        referral_id=referral.pk,
        purpose=purpose,
        urgency=urgency,
    )
    event(
        Event.REFERRAL_SENT,
        actor=actor,
        membership=membership,
        case=case,
        obj=referral,
        reason_code=purpose,
        extra={"to": str(to_organisation.pk), "automatic": automatic},
    )
    return referral


def refer_child_to_protection(case: Case, *, actor: User, now: datetime):
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
        )
        if service.organisation_id not in declined
    ]
    if not services:
        return None
    membership = policy.acting_membership(
        actor, C.PERSON_REGISTER, case
    ) or policy.acting_membership(actor, C.CASE_SCREEN, case)
    return send_referral(
        case,
        to_organisation=services[0].organisation,
        purpose=ServiceKind.CHILD_PROTECTION,
        urgency="urgent",
        consent=None,
        actor=actor,
        membership=membership,
        now=now,
        automatic=True,
    )


def lapse_referral(
    referral: Referral,
    case: Case,
    *,
    method: str,
    event_code: str,
    actor: User | None,
    membership: Membership | None,
    now: datetime,
    reason: str = "",
) -> None:
    """Decline, withdraw or expire; an identification referral lapsing sends
    the case back to `referral_pending` to choose another recipient."""
    workflow.require_fsm(referral, method)
    if method == "decline":
        fire(referral, "decline", at=now, reason=reason, by=actor)
    else:
        fire(referral, method, at=now)
    # A decline answers (the answer deadline is met); the decision deadline
    # lapses whatever happened; a withdrawn or expired referral was never
    # answered, so its answer deadline stays as it was (overdue or not).
    if method == "decline":
        close_deadlines(
            case=case,
            kinds=[DeadlineKind.REFERRAL_ANSWER],
            now=now,
            met=True,
            referral=referral,
        )
    elif method == "withdraw":
        close_deadlines(
            case=case,
            kinds=[DeadlineKind.REFERRAL_ANSWER],
            now=now,
            met=False,
            referral=referral,
        )
    close_deadlines(
        case=case,
        kinds=[DeadlineKind.RG_DECISION],
        now=now,
        met=False,
        referral=referral,
    )
    end_recovery_period(
        case,
        now=now,
        met=False,
        cause="referral_lapsed",
        actor=actor,
        membership=membership,
        referral=referral,
    )
    event(
        event_code,
        actor=actor,
        membership=membership,
        case=case,
        obj=referral,
        reason_code=reason,
    )
    if referral.purpose != ServiceKind.IDENTIFICATION:
        return
    if case.state == CaseState.SUSPENDED:
        # Resume must not return to a referral that no longer runs.
        case.forget_lapsed_referral_while_suspended()
        case.save(update_fields=["state_before_suspension"])
    elif case.state in (CaseState.REFERRED, CaseState.ASSESSMENT):
        transit(
            case,
            "identification_referral_lapsed",
            actor=actor,
            membership=membership,
            reason_code=method,
            at=now,
        )


def withdraw_open_referrals(
    case: Case, *, actor: User, membership: Membership, now: datetime
) -> None:
    """A case that ends takes its unanswered referrals with it."""
    for referral in Referral.objects.select_for_update().filter(
        case=case, state=ReferralState.SENT
    ):
        lapse_referral(
            referral,
            case,
            method="withdraw",
            event_code=Event.REFERRAL_WITHDRAWN,
            actor=actor,
            membership=membership,
            now=now,
            reason="case_ended",
        )
        outbox.enqueue(
            "referral.withdrawn",
            organisation=referral.to_organisation,
            referral_id=referral.pk,
        )


def missing_child_alert(ctx) -> None:
    """A child suspended as missing: an urgent notification to the police
    contact of the country profile (or, none named, to the registering
    organisation) and an overdue clock on the search (CETS 197 arts. 10(4),
    12; Directive 2011/36/EU art. 14; OSCE Uniform Guidelines 2019)."""
    case, profile = ctx.case, active_profile()
    police = profile.police_contact or case.organisation
    deadline = Deadline.objects.create(
        case=case,
        kind=DeadlineKind.MISSING_CHILD,
        organisation=case.organisation,
        due_at=ctx.now + timedelta(hours=profile.missing_child_search_hours),
    )
    outbox.enqueue(
        "child.missing",
        organisation=police,
        case_id=case.pk,
        reference=case.reference,
        urgency="immediate_danger",
        deadline_id=deadline.pk,
    )
    event(
        Event.CHILD_MISSING,
        actor=ctx.actor,
        membership=ctx.membership,
        case=case,
        obj=deadline,
        extra={"police": str(police.pk)},
    )
