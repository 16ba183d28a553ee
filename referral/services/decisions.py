"""Identification decisions, by a decision maker of the competent authority
that accepted the identification referral, with written reasons: one step
per kind (reasonable grounds, conclusive grounds, reconsideration), sharing
one tail."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from nrm import outbox
from nrm.audit import Event
from nrm.models import Organisation
from nrm.outbox import Notification
from nrm.roles import Capability as C
from nrm.selectors import active_profile
from referral import policy, workflow
from referral import serializers as s
from referral.deadlines import add_working_days, end_of_day
from referral.models import (
    CaseState,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    PersonRequest,
    PersonRequestKind,
    ReconsiderationRequest,
)
from referral.services.common import (
    close_deadlines,
    end_recovery_period,
    event,
    grant,
    notify_migration_authority,
    transit,
)
from referral.steps import Context, requires_graph, step

DECISION = {
    "capability": C.DECISION_TAKE,
    "rule": policy.Rule.DECISION_MAKER,
    "output": s.DecisionSerializer,
    "event": Event.DECISION_TAKEN,
    "notifications": ("decision.taken",),
    "milestones": True,
}
# How long the reconsidering authority has, once asked (a deadline).
RECONSIDERATION_WORKING_DAYS = 10


def _recovery_end(ctx: Context, positive: bool) -> date | None:
    if not positive:
        return None
    days = active_profile().recovery_period_days
    return timezone.localdate(ctx.now) + timedelta(days=days)


@step(
    "decide-reasonable-grounds",
    label=_("Reasonable-grounds decision"),
    fires=("decide_reasonable_grounds",),
    input=s.ReasonableGroundsSerializer,
    **DECISION,
)
def decision_reasonable_grounds(
    ctx: Context, *, positive: bool, reasons: str
) -> Decision:
    """Preliminary identification; a positive decision starts the recovery and
    reflection period."""
    _require_reasons(reasons)
    close_deadlines(
        case=ctx.case, kinds=[DeadlineKind.RG_DECISION], now=ctx.now, met=True
    )
    return _decide(
        ctx,
        DecisionKind.REASONABLE_GROUNDS,
        "decide_reasonable_grounds",
        positive=positive,
        reasons=reasons,
        recovery_ends_on=_recovery_end(ctx, positive),
    )


@step(
    "decide-conclusive-grounds",
    label=_("Conclusive-grounds decision"),
    fires=("decide_conclusive_grounds",),
    input=s.ConclusiveGroundsSerializer,
    **DECISION,
)
def decision_conclusive_grounds(
    ctx: Context,
    *,
    positive: bool,
    reasons: str,
    person_request_id: UUID | None = None,
) -> Decision:
    """Formal identification, once the recovery and reflection period is over
    or earlier when a recorded request of the person asks for it (CETS 197
    art. 13): the decision names that record."""
    _require_reasons(reasons)
    request = workflow.person_request(
        ctx.case, person_request_id, PersonRequestKind.EARLY_DECISION
    )
    workflow.require_recovery_period_over(ctx.case, now=ctx.now, request=request)
    end_recovery_period(
        ctx.case,
        now=ctx.now,
        met=True,
        cause="decided",
        actor=ctx.actor,
        membership=ctx.membership,
    )
    return _decide(
        ctx,
        DecisionKind.CONCLUSIVE_GROUNDS,
        "decide_conclusive_grounds",
        positive=positive,
        reasons=reasons,
        person_request=request,
    )


@step(
    "request-reconsideration",
    label=_("Request a reconsideration"),
    capability=C.RECONSIDERATION_REQUEST,
    rule=policy.Rule.ASSISTING,
    guards=(requires_graph("reconsider"),),
    input=s.ReconsiderationRequestCreateSerializer,
    output=s.ReconsiderationRequestRecordSerializer,
    event=Event.RECONSIDERATION_REQUESTED,
    notifications=("decision.reconsideration_requested",),
    help_text=_(
        "The person's request, made through your organisation, or the "
        "registering organisation's own; another decision maker decides."
    ),
)
def reconsideration_request(
    ctx: Context, *, by_person: bool, grounds: str
) -> ReconsiderationRequest:
    """A negative decision is reconsidered at the request of the person,
    through any organisation assisting them under an accepted referral, or of
    the registering organisation, within the profile's window; the
    reconsidering authority (the profile's second authority, else the
    deciding one) gains access to the case and a deadline (CETS 197 art.
    10(2); OSCE Uniform Guidelines 2019, independent review; Directive
    2011/36/EU art. 11)."""
    case = ctx.case
    if not grounds.strip():
        raise InvalidInput(
            _("A reconsideration request needs its grounds."),
            code="grounds_required",
            detail={"grounds": ["Required."]},
        )
    if not by_person:
        policy.require_registering_membership(ctx.membership, case)
    decision = workflow.reconsiderable_decision(
        case, now=ctx.now, profile=active_profile()
    )
    workflow.require_no_open_request(case, decision)
    request = ReconsiderationRequest(
        case=case,
        decision=decision,
        by_person=by_person,
        requested_at=ctx.now,
        requested_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    request.grounds = grounds
    request.save(force_insert=True)
    event(
        Event.RECONSIDERATION_REQUESTED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=case,
        obj=request,
        reason_code="person" if by_person else "registering",
        extra={"decision": str(decision.pk)},
    )
    authority_id = policy.reconsidering_authority_id(case)
    authority = Organisation.objects.filter(pk=authority_id).first()
    if authority is not None:
        grant(case, authority, actor=ctx.actor, membership=ctx.membership)
        Deadline.objects.create(
            case=case,
            kind=DeadlineKind.RECONSIDERATION,
            organisation=authority,
            due_at=add_working_days(
                ctx.now, RECONSIDERATION_WORKING_DAYS, active_profile()
            ),
        )
        outbox.enqueue(
            "decision.reconsideration_requested",
            organisation=authority,
            case_id=case.pk,
            request_id=request.pk,
            decision_id=decision.pk,
        )
    return request


@step(
    "reconsider",
    label=_("Reconsider a negative decision"),
    fires=("reconsider",),
    input=s.ReconsiderationSerializer,
    **{**DECISION, "rule": policy.Rule.RECONSIDERING},
)
def decision_reconsider(ctx: Context, *, positive: bool, reasons: str) -> Decision:
    """A negative decision reconsidered, on request, within the profile's
    window, by a decision maker other than the one who took it: of the second
    authority where the country profile names one (CETS 197 art. 10(2); OSCE
    Uniform Guidelines 2019, independent review)."""
    _require_reasons(reasons)
    reconsiders = workflow.reconsiderable_decision(
        ctx.case, now=ctx.now, profile=active_profile()
    )
    workflow.require_other_decision_maker(reconsiders, ctx.actor.pk)
    request = workflow.require_reconsideration_request(ctx.case, reconsiders)
    decision = _decide(
        ctx,
        DecisionKind.RECONSIDERATION,
        "reconsider",
        positive=positive,
        reasons=reasons,
        reconsiders=reconsiders,
        of_kind=workflow.reconsidered_kind(reconsiders),
        recovery_ends_on=_recovery_end(ctx, positive),
    )
    request.answered_by = decision
    request.save(update_fields=["answered_by"])
    close_deadlines(
        case=ctx.case, kinds=[DeadlineKind.RECONSIDERATION], now=ctx.now, met=True
    )
    return decision


def _outcome(positive: bool) -> str:
    return "positive" if positive else "negative"


def _require_reasons(reasons: str) -> None:
    if not reasons.strip():
        raise InvalidInput(
            _("A decision needs written reasons."),
            code="reasons_required",
            detail={"reasons": ["Required."]},
        )


def _decide(
    ctx: Context,
    kind: str,
    transition: str,
    *,
    positive: bool,
    reasons: str,
    person_request: PersonRequest | None = None,
    reconsiders: Decision | None = None,
    **transition_arguments,
) -> Decision:
    """The tail the three kinds share: the decision row and its audit event,
    the transition, the recovery-period deadline and the protection notice to
    the migration authority when the person became a presumed victim (CETS 197
    art. 13), and the notification to the registering organisation."""
    case, membership, outcome = ctx.case, ctx.membership, _outcome(positive)
    decision = Decision(
        case=case,
        kind=kind,
        reconsiders=reconsiders,
        positive=positive,
        referral=ctx.referral,
        organisation=membership.organisation,
        decided_by=ctx.actor,
        decided_at=ctx.now,
        person_request=person_request,
    )
    decision.reasons = reasons
    decision.save(force_insert=True)
    event(
        Event.DECISION_TAKEN,
        actor=ctx.actor,
        membership=membership,
        case=case,
        obj=decision,
        reason_code=f"{kind}:{outcome}",
        extra={"person_request": str(person_request.pk) if person_request else None},
    )
    from_state = transit(
        case,
        transition,
        actor=ctx.actor,
        membership=membership,
        reason_code=outcome,
        at=ctx.now,
        positive=positive,
        **transition_arguments,
    )
    if case.state == CaseState.PRESUMED_VICTIM and from_state != case.state:
        Deadline.objects.create(
            case=case,
            referral=ctx.referral,
            kind=DeadlineKind.RECOVERY_PERIOD_END,
            organisation=membership.organisation,
            due_at=end_of_day(case.recovery_ends_on),
        )
        # No removal while the period runs: the migration authority is told.
        notify_migration_authority(
            case,
            Notification.PROTECTION_NOTICE,
            actor=ctx.actor,
            membership=membership,
        )
    # Every decision reaches the registering organisation and each one
    # assisting the person under an accepted referral (CETS 197 art. 12;
    # OSCE Uniform Guidelines 2019), never the deciding authority itself.
    # A second authority's decision also reaches the authority it reviewed.
    told = _assisting_organisations(
        case, also=ctx.referral.to_organisation_id, exclude=membership.organisation_id
    )
    for organisation in told:
        outbox.enqueue(
            "decision.taken",
            organisation=organisation,
            decision_id=decision.pk,
            decision_kind=kind,
            outcome=outcome,
            case_id=case.pk,
        )
    return decision


def _assisting_organisations(case, *, also, exclude) -> list[Organisation]:
    ids = (policy.assisting_organisation_ids(case) | {also}) - {exclude}
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))
