"""Registering a case and the steps that hold, move or end it as a whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import Conflict
from nrm.audit import Event
from nrm.choices import ServiceKind
from nrm.models import User
from nrm.roles import Capability as C
from nrm.selectors import active_profile, pathway_services
from referral import persons, policy, workflow
from referral import serializers as s
from referral import transnational as exchange
from referral.deadlines import end_of_day
from referral.duplicates import duplicate_check
from referral.models import (
    Case,
    CaseExploitationForm,
    CaseReturn,
    CloseReason,
    Deadline,
    DeadlineKind,
    DuplicateReview,
    HandoverKind,
    PersonRequest,
    PersonRequestKind,
    Referral,
    SuspendReason,
)
from referral.services.common import (
    close_deadlines,
    end_recovery_period,
    event,
    missing_child_alert,
    organisation,
    refer_child_to_protection,
    send_referral,
    transit,
    withdraw_open_referrals,
)
from referral.services.transnational import handover_send
from referral.statistics import milestones
from referral.steps import Context, step

Rule = policy.Rule


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
    organisation_id: UUID | None = None,
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
    organisation_ = membership.organisation
    now = clock.now()
    duplicates = persons.possible_duplicates(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    person = persons.person_create(
        given_names=given_names,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        age_group=age_group,
        citizenship=citizenship,
        is_child=is_child,
        aliases=aliases,
        place_of_birth=place_of_birth,
        contact_details=contact_details,
        identity_documents=identity_documents,
        notes=notes,
    )
    case = Case(
        person=person,
        organisation=organisation_,
        region=organisation_.region,
        reception_stage=reception_stage,
        language=language,
        asylum_status=asylum_status,
        registered_at=now,
        registered_by=actor,
        state_changed_at=now,
    )
    case.full_clean(exclude=["person", "state"])
    case.save(force_insert=True)
    CaseExploitationForm.objects.bulk_create(
        [CaseExploitationForm(case=case, form=form) for form in set(exploitation_forms)]
    )
    policy.grant_case_access(case, organisation_)
    if person.is_child:
        # A child (or presumed child) goes to child protection at once.
        refer_child_to_protection(case, actor=actor, now=now)
    event(
        Event.PERSON_REGISTERED,
        actor=actor,
        membership=membership,
        case=case,
        obj=person,
    )
    review = duplicate_check(
        case=case, matches=duplicates, actor=actor, membership=membership
    )
    milestones.sync(case.pk)
    return Registration(case=case, duplicate_review=review)


@step(
    "flag-for-referral",
    label=_("Refer on professional judgement"),
    capability=C.REFERRAL_SEND,
    fires=("flag_for_referral",),
    input=s.FlagSerializer,
    event=Event.CASE_TRANSITION,
)
def case_flag_for_referral(ctx: Context, *, reason_code: str) -> Case:
    """Refer on professional judgement or urgent danger, whatever the
    indicators say."""
    case = ctx.case
    transit(
        case,
        "flag_for_referral",
        actor=ctx.actor,
        membership=ctx.membership,
        reason_code=reason_code,
        at=ctx.now,
    )
    if case.person.is_child:
        refer_child_to_protection(case, actor=ctx.actor, now=ctx.now)
    return case


@step(
    "suspend",
    label=_("Suspend: contact lost"),
    capability=C.CASE_ASSIST,
    fires=("suspend",),
    input=s.SuspendSerializer,
    event=Event.CASE_TRANSITION,
    notifications=("child.missing",),
    grave=True,
    help_text=_("The case waits, and resumes where it was when contact is regained."),
)
def case_suspend(ctx: Context, *, reason: str) -> Case:
    workflow.require_choice(reason, SuspendReason, "reason")
    workflow.require_suspend_reason(ctx.case, reason)
    transit(
        ctx.case,
        "suspend",
        actor=ctx.actor,
        membership=ctx.membership,
        reason_code=reason,
        at=ctx.now,
    )
    if reason == SuspendReason.CHILD_MISSING:
        missing_child_alert(ctx)
    return ctx.case


@step(
    "resume",
    label=_("Resume"),
    capability=C.CASE_ASSIST,
    fires=("resume",),
    input=s.NoInputSerializer,
    event=Event.CASE_TRANSITION,
)
def case_resume(ctx: Context) -> Case:
    transit(ctx.case, "resume", actor=ctx.actor, membership=ctx.membership, at=ctx.now)
    if ctx.case.person.is_child:
        # Contact regained: a missing child's search clock is met.
        close_deadlines(
            case=ctx.case, kinds=[DeadlineKind.MISSING_CHILD], now=ctx.now, met=True
        )
    return ctx.case


@step(
    "transfer",
    label=_("Transfer abroad (transit)"),
    capability=C.CASE_ASSIST,
    rule=Rule.REGISTERING,
    fires=("transfer",),
    input=s.TransferSerializer,
    output=s.ReferralSerializer,
    event=Event.REFERRAL_SENT,
    notifications=("referral.received",),
    grave=True,
    recipients=ServiceKind.TRANSNATIONAL,
    milestones=True,
    help_text=_("The case ends here; a minimal, sealed hand-over goes abroad."),
)
def case_transfer(
    ctx: Context,
    *,
    country: str,
    to_organisation_id: UUID | None = None,
    person_request_id: UUID | None = None,
) -> Referral:
    """The transit route: a transnational referral with a minimal, sealed
    hand-over package; the local case ends `transferred`. Not during the
    recovery period unless the person asked for it (CETS 197 art. 13)."""
    case, actor, membership, now = ctx.case, ctx.actor, ctx.membership, ctx.now
    request = workflow.person_request(
        case, person_request_id, PersonRequestKind.TRANSFER
    )
    workflow.require_no_removal_in_recovery_period(case, now=now, request=request)
    if to_organisation_id is None:
        services = pathway_services(
            purpose=ServiceKind.TRANSNATIONAL,
            region=case.region,
            is_child=case.person.is_child,
        )
        if not services:
            raise Conflict(
                _("No transnational pathway is configured."),
                code="no_transnational_pathway",
            )
        recipient = services[0].organisation
    else:
        recipient = workflow.require_recipient(
            organisation(to_organisation_id), ServiceKind.TRANSNATIONAL
        )
    workflow.require_best_interests(case)
    workflow.require_foreign_country(country, active_profile())
    consent = workflow.require_consent(case, recipient.pk, ServiceKind.TRANSNATIONAL)
    withdraw_open_referrals(case, actor=actor, membership=membership, now=now)
    referral = send_referral(
        case,
        to_organisation=recipient,
        purpose=ServiceKind.TRANSNATIONAL,
        urgency="routine",
        consent=consent,
        actor=actor,
        membership=membership,
        now=now,
    )
    referral.handover = json.dumps(_handover_package(case), sort_keys=True)
    referral.save(update_fields=["handover"])
    partner = exchange.partner_for(recipient)
    if partner is not None:
        # A partner mechanism in the directory: the signed, encrypted package
        # is queued for its inbox with this transition (referral/transnational.py).
        handover_send(
            case=case,
            partner=partner,
            kind=HandoverKind.TRANSFER,
            actor=actor,
            membership=membership,
            now=now,
            referral=referral,
        )
    transit(
        case,
        "transfer",
        actor=actor,
        membership=membership,
        extra={"country": country},
        at=now,
        country=country,
    )
    close_deadlines(case=case, kinds=[DeadlineKind.RG_DECISION], now=now, met=False)
    end_recovery_period(
        case,
        now=now,
        met=False,
        cause="transferred",
        actor=actor,
        membership=membership,
    )
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


@step(
    "close",
    label=_("Close the case"),
    capability=C.CASE_CLOSE,
    rule=Rule.REGISTERING,
    fires=("close",),
    input=s.CloseSerializer,
    event=Event.CASE_TRANSITION,
    grave=True,
    help_text=_("Closing ends the case and cancels its open deadlines."),
)
def case_close(
    ctx: Context,
    *,
    reason: str,
    return_kind: str = "",
    partner_organisation_id: UUID | None = None,
    partner_name: str = "",
    person_request_id: UUID | None = None,
) -> Case:
    """Close on a reason that fits the case (`workflow.CLOSE_REASONS_BY_STATE`).
    A return needs a risk assessment, names voluntary or forced and the
    partner receiving the person, is refused during the recovery period
    unless the person asked for it, and opens a reintegration follow-up
    (CETS 197 arts. 13, 16; Directive 2011/36/EU art. 11)."""
    case = ctx.case
    workflow.require_choice(reason, CloseReason, "reason")
    returning = reason == CloseReason.RETURN
    partner = workflow.require_return_details(
        returning,
        return_kind=return_kind,
        partner=organisation(partner_organisation_id),
        partner_organisation_id=partner_organisation_id,
        partner_name=partner_name,
        person_request_id=person_request_id,
    )
    workflow.require_close_reason(case, reason)
    request = None
    if returning:
        workflow.require_risk_assessment(case)
        workflow.require_return_consent(case, partner)
        request = workflow.person_request(
            case, person_request_id, PersonRequestKind.RETURN
        )
        workflow.require_no_removal_in_recovery_period(
            case, now=ctx.now, request=request
        )
    end_recovery_period(
        case,
        now=ctx.now,
        met=False,
        cause="closed",
        actor=ctx.actor,
        membership=ctx.membership,
    )
    withdraw_open_referrals(
        case, actor=ctx.actor, membership=ctx.membership, now=ctx.now
    )
    transit(
        case,
        "close",
        actor=ctx.actor,
        membership=ctx.membership,
        reason_code=reason,
        at=ctx.now,
        reason=reason,
    )
    Deadline.objects.filter(
        case=case, met_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=ctx.now)
    if returning:
        _record_return(
            ctx,
            kind=return_kind,
            partner=partner,
            partner_name=partner_name,
            request=request,
        )
    return case


def _record_return(
    ctx: Context,
    *,
    kind: str,
    partner,
    partner_name: str,
    request: PersonRequest | None,
) -> CaseReturn:
    """The return's record and the reintegration follow-up the registering
    organisation owes after it (CETS 197 art. 16(5); OSCE Uniform Guidelines
    2019, return and social inclusion)."""
    case = ctx.case
    record = CaseReturn(
        case=case,
        kind=kind,
        partner_organisation=partner,
        person_request=request,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
    )
    record.partner_name = partner_name
    record.save(force_insert=True)
    mechanism = exchange.partner_for(partner) if partner is not None else None
    if mechanism is not None:
        # Returned to a country whose mechanism is a partner: the same signed,
        # encrypted exchange as a transfer, acknowledged by that mechanism
        # (referral/transnational.py; docs/transnational.md).
        handover_send(
            case=case,
            partner=mechanism,
            kind=HandoverKind.RETURN,
            actor=ctx.actor,
            membership=ctx.membership,
            now=ctx.now,
            details=_return_details(case, kind, partner),
        )
    days = active_profile().reintegration_follow_up_days
    Deadline.objects.create(
        case=case,
        kind=DeadlineKind.REINTEGRATION_FOLLOW_UP,
        organisation=case.organisation,
        due_at=end_of_day(timezone.localdate(ctx.now) + timedelta(days=days)),
    )
    event(
        Event.RETURN_RECORDED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=case,
        obj=record,
        reason_code=kind,
        extra={
            "partner": str(partner.pk) if partner else None,
            "person_request": str(request.pk) if request else None,
        },
    )
    return record


def _return_details(case, kind: str, partner) -> dict:
    """What the receiving mechanism needs of the return: its kind, the
    receiving organisation, and the latest risk levels (codes; the reasons
    stay sealed here)."""
    risk = case.risk_assessments.order_by("-assessed_at").first()
    return {
        "return_kind": kind,
        "receiving_organisation": partner.name,
        "retrafficking_risk": risk.retrafficking_risk if risk else None,
        "return_risk": risk.return_risk if risk else None,
    }
