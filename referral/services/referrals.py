"""Referrals: sending one (a step), the receiving organisation's answer,
withdrawal, expiry and completion, and the anonymous notification of an adult
who does not consent (a step)."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput
from nrm import outbox
from nrm.audit import Event
from nrm.choices import ServiceKind
from nrm.roles import Capability as C
from nrm.selectors import pathway_services
from referral import policy, workflow
from referral import serializers as s
from referral.models import (
    AnonymousNotification,
    DeadlineKind,
    DeclineReason,
    Referral,
)
from referral.services.common import (
    close_deadlines,
    event,
    fire,
    grant,
    lapse_referral,
    organisation,
    send_referral,
    transit,
)
from referral.steps import REFERRAL, Context, requires_graph, step

Rule = policy.Rule


@step(
    "send-referral",
    label=_("Send a referral"),
    capability=C.REFERRAL_SEND,
    fires=("send_identification_referral",),
    guards=(workflow.require_open, workflow.require_some_consent),
    input=s.ReferralCreateSerializer,
    output=s.ReferralSerializer,
    event=Event.REFERRAL_SENT,
    notifications=("referral.received",),
    page="case-referral-new",
    milestones=True,
)
def referral_send(
    ctx: Context, *, to_organisation_id: UUID, purpose: str, urgency: str = "routine"
) -> Referral:
    """Send a referral. An adult's data go only with their consent for that
    organisation and purpose; an identification referral moves the case to
    `referred`."""
    case = ctx.case
    if purpose == ServiceKind.TRANSNATIONAL:
        raise InvalidInput(
            _("A transnational referral is made by transferring the case."),
            code="use_transfer",
            detail={"purpose": ["Use the transfer step."]},
        )
    recipient = workflow.require_recipient(organisation(to_organisation_id), purpose)
    if purpose == ServiceKind.IDENTIFICATION:
        workflow.require_fsm(case, "send_identification_referral")
    workflow.require_no_pending_referral(case, recipient.pk, purpose)
    consent = workflow.require_consent(case, recipient.pk, purpose)
    referral = send_referral(
        case,
        to_organisation=recipient,
        purpose=purpose,
        urgency=urgency,
        consent=consent,
        actor=ctx.actor,
        membership=ctx.membership,
        now=ctx.now,
    )
    if purpose == ServiceKind.IDENTIFICATION:
        transit(
            case,
            "send_identification_referral",
            actor=ctx.actor,
            membership=ctx.membership,
            at=ctx.now,
        )
    return referral


# The receiving organisation's answer and the sender's withdrawal or expiry:
# steps taken on a referral (`POST /api/v1/referrals/{referral_id}/{step}/`).
ON_REFERRAL = {"subject": REFERRAL, "output": s.ReferralSerializer}
ANSWER = {**ON_REFERRAL, "capability": C.REFERRAL_ANSWER, "rule": Rule.RECIPIENT}
SENDER = {**ON_REFERRAL, "capability": C.REFERRAL_SEND, "rule": Rule.SENDER}


@step(
    "accept",
    label=_("Accept the referral"),
    fires=("accept",),
    input=s.NoInputSerializer,
    event=Event.REFERRAL_ACCEPTED,
    notifications=("referral.accepted",),
    milestones=True,
    **ANSWER,
)
def referral_accept(ctx: Context) -> Referral:
    """The recipient takes the person on: it gains access to the case (unless
    it is a foreign mechanism), and an identification referral starts the
    assessment."""
    referral, case, actor, membership = (
        ctx.referral,
        ctx.case,
        ctx.actor,
        ctx.membership,
    )
    if referral.purpose != ServiceKind.TRANSNATIONAL:
        workflow.require_open(case)
    if referral.purpose == ServiceKind.IDENTIFICATION:
        workflow.require_fsm(case, "accept_identification_referral")
    fire(referral, "accept", at=ctx.now, by=actor)
    close_deadlines(
        case=case,
        kinds=[DeadlineKind.REFERRAL_ANSWER],
        now=ctx.now,
        met=True,
        referral=referral,
    )
    if referral.purpose != ServiceKind.TRANSNATIONAL:
        # A foreign mechanism receives the sealed hand-over package, never
        # the case (the transit route).
        grant(case, referral.to_organisation, actor=actor, membership=membership)
    event(
        Event.REFERRAL_ACCEPTED,
        actor=actor,
        membership=membership,
        case=case,
        obj=referral,
        reason_code=referral.purpose,
    )
    if referral.purpose == ServiceKind.IDENTIFICATION:
        transit(
            case,
            "accept_identification_referral",
            actor=actor,
            membership=membership,
            at=ctx.now,
        )
    outbox.enqueue(
        "referral.accepted",
        organisation=referral.from_organisation,
        referral_id=referral.pk,
    )
    return referral


@step(
    "decline",
    label=_("Decline the referral"),
    fires=("decline",),
    input=s.ReferralDeclineSerializer,
    event=Event.REFERRAL_DECLINED,
    notifications=("referral.declined",),
    milestones=True,
    **ANSWER,
)
def referral_decline(ctx: Context, *, reason: str) -> Referral:
    workflow.require_choice(reason, DeclineReason, "reason")
    lapse_referral(
        ctx.referral,
        ctx.case,
        method="decline",
        event_code=Event.REFERRAL_DECLINED,
        actor=ctx.actor,
        membership=ctx.membership,
        now=ctx.now,
        reason=reason,
    )
    outbox.enqueue(
        "referral.declined",
        organisation=ctx.referral.from_organisation,
        referral_id=ctx.referral.pk,
        reason=reason,
    )
    return ctx.referral


@step(
    "withdraw",
    label=_("Withdraw the referral"),
    fires=("withdraw",),
    guards=(requires_graph("withdraw"), workflow.require_unanswered),
    input=s.NoInputSerializer,
    event=Event.REFERRAL_WITHDRAWN,
    notifications=("referral.withdrawn",),
    **SENDER,
)
def referral_withdraw(ctx: Context) -> Referral:
    referral = ctx.referral
    lapse_referral(
        referral,
        ctx.case,
        method="withdraw",
        event_code=Event.REFERRAL_WITHDRAWN,
        actor=ctx.actor,
        membership=ctx.membership,
        now=ctx.now,
    )
    outbox.enqueue(
        "referral.withdrawn",
        organisation=referral.to_organisation,
        referral_id=referral.pk,
    )
    return referral


@step(
    "expire",
    label=_("Give up on the referral"),
    fires=("expire",),
    guards=(requires_graph("expire"), workflow.require_answer_due),
    input=s.NoInputSerializer,
    event=Event.REFERRAL_EXPIRED,
    notifications=("referral.expired",),
    **SENDER,
)
def referral_expire(ctx: Context) -> Referral:
    """The sender gives up on an unanswered referral once its answer is due."""
    referral = ctx.referral
    lapse_referral(
        referral,
        ctx.case,
        method="expire",
        event_code=Event.REFERRAL_EXPIRED,
        actor=ctx.actor,
        membership=ctx.membership,
        now=ctx.now,
    )
    outbox.enqueue(
        "referral.expired",
        organisation=referral.to_organisation,
        referral_id=referral.pk,
    )
    return referral


@step(
    "complete",
    label=_("Complete the referral"),
    fires=("complete",),
    input=s.NoInputSerializer,
    event=Event.REFERRAL_COMPLETED,
    **ANSWER,
)
def referral_complete(ctx: Context) -> Referral:
    fire(ctx.referral, "complete", at=ctx.now)
    event(
        Event.REFERRAL_COMPLETED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=ctx.referral,
    )
    return ctx.referral


@step(
    "notify-anonymously",
    label=_("Notify anonymously"),
    capability=C.REFERRAL_SEND,
    guards=(workflow.require_open, workflow.require_refused_consent),
    input=s.AnonymousNotifySerializer,
    output=s.AnonymousNotificationSerializer,
    event=Event.ANONYMOUS_NOTIFICATION,
    notifications=("referral.anonymous_notification",),
    recipients=ServiceKind.IDENTIFICATION,
)
def anonymous_notification_send(
    ctx: Context, *, to_organisation_id: UUID | None = None
) -> AnonymousNotification:
    """An adult refused consent: tell the competent authority that a presumed
    victim was met, with coarse attributes only."""
    case = ctx.case
    if to_organisation_id is None:
        services = pathway_services(
            purpose=ServiceKind.IDENTIFICATION, region=case.region, is_child=False
        )
        if not services:
            raise Conflict(
                _("No identification pathway is configured."),
                code="no_identification_pathway",
            )
        recipient = services[0].organisation
    else:
        recipient = workflow.require_recipient(
            organisation(to_organisation_id), ServiceKind.IDENTIFICATION
        )
    person = case.person
    notification = AnonymousNotification.objects.create(
        case=case,
        from_organisation=ctx.membership.organisation,
        to_organisation=recipient,
        sex=person.sex,
        age_group=person.age_group,
        citizenship=person.citizenship,
        exploitation_forms=sorted(case.forms.values_list("form", flat=True)),
        sent_at=ctx.now,
        sent_by=ctx.actor,
    )
    outbox.enqueue(
        "referral.anonymous_notification",
        organisation=recipient,
        notification_id=notification.pk,
    )
    event(
        Event.ANONYMOUS_NOTIFICATION,
        actor=ctx.actor,
        membership=ctx.membership,
        case=case,
        obj=notification,
        extra={"to": str(recipient.pk)},
    )
    return notification
