"""The protections beside the decisions: the person's recorded requests, the
non-punishment notice, the risk assessment, the reintegration follow-up
after a return and the residence permit. Their rules are guards in
`referral/workflow.py`; docs/protections.md describes them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from nrm.audit import Event
from nrm.roles import Capability as C
from referral import policy, workflow
from referral import serializers as s
from referral.models import (
    DeadlineKind,
    NonPunishmentNotice,
    PersonRequest,
    PersonRequestKind,
    ResidencePermit,
    ResidencePermitStatus,
    RiskAssessment,
    RiskLevel,
)
from referral.services.common import close_deadlines, event, organisation
from referral.steps import Context, step


@step(
    "record-person-request",
    label=_("Record a request of the person"),
    capability=C.CONSENT_RECORD,
    guards=(workflow.require_open,),
    input=s.PersonRequestCreateSerializer,
    output=s.PersonRequestSerializer,
    event=Event.PERSON_REQUEST_RECORDED,
    help_text=_(
        "What the person asks for in their own words: an early decision, a "
        "return or a transfer during the recovery and reflection period."
    ),
)
def person_request_record(
    ctx: Context,
    *,
    kind: str,
    language: str,
    text: str,
    interpreter_present: bool = False,
) -> PersonRequest:
    """The person's own request, without which the recovery and reflection
    period holds back an early conclusive decision, a return or a transfer
    (CETS 197 art. 13(1); Directive 2011/36/EU art. 11(6)): who recorded it,
    when, in which language, whether an interpreter was present, and the
    request itself sealed."""
    workflow.require_choice(kind, PersonRequestKind, "kind")
    if not text.strip():
        raise InvalidInput(
            _("Record the request in the person's words."),
            code="request_text_required",
            detail={"text": ["Required."]},
        )
    request = PersonRequest(
        case=ctx.case,
        kind=kind,
        language=language,
        interpreter_present=interpreter_present,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    request.text = text
    request.full_clean(exclude=["case", "recorded_by", "organisation"])
    request.save(force_insert=True)
    event(
        Event.PERSON_REQUEST_RECORDED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=request,
        reason_code=kind,
        extra={"language": language, "interpreter_present": interpreter_present},
    )
    return request


@step(
    "notify-non-punishment",
    label=_("Record a non-punishment notice"),
    capability=C.CASE_ASSIST,
    guards=(workflow.require_open, workflow.require_presumed_victim),
    input=s.NonPunishmentCreateSerializer,
    output=s.NonPunishmentNoticeSerializer,
    event=Event.NON_PUNISHMENT_NOTIFIED,
    help_text=_(
        "The prosecutor or the police were told that the person is a presumed "
        "victim, not to be punished for what they were compelled to do."
    ),
)
def non_punishment_notify(
    ctx: Context, *, notified_organisation_id: UUID, notified_on: date
) -> NonPunishmentNotice:
    """The non-punishment principle (CETS 197 art. 26; Directive 2011/36/EU
    art. 8; OSCE Uniform Guidelines 2019): the case worker records that the
    prosecutor or the police were notified, when, and which organisation."""
    notified = organisation(notified_organisation_id)
    if notified is None or not notified.is_active:
        raise InvalidInput(
            _("Unknown or inactive organisation."),
            code="unknown_organisation",
            detail={"notified_organisation_id": ["Unknown or inactive."]},
        )
    workflow.require_not_in_future(
        notified_on, today=timezone.localdate(ctx.now), field="notified_on"
    )
    notice = NonPunishmentNotice.objects.create(
        case=ctx.case,
        notified_organisation=notified,
        notified_on=notified_on,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    event(
        Event.NON_PUNISHMENT_NOTIFIED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=notice,
        extra={"notified": str(notified.pk)},
    )
    return notice


@step(
    "assess-risk",
    label=_("Record a risk assessment"),
    capability=C.CASE_ASSIST,
    guards=(workflow.require_open,),
    input=s.RiskAssessmentCreateSerializer,
    output=s.RiskAssessmentSerializer,
    event=Event.RISK_ASSESSED,
    help_text=_(
        "The risk of re-trafficking and the risk on return; needed "
        "before any close for return."
    ),
)
def risk_assess(
    ctx: Context, *, retrafficking_risk: str, return_risk: str, reasons: str
) -> RiskAssessment:
    """The risks of re-trafficking and of return, assessed before any return,
    of an adult or of a child (CETS 197 art. 16(2) and (7); Directive
    2011/36/EU art. 11; OSCE Uniform Guidelines 2019, risk assessment)."""
    workflow.require_choice(retrafficking_risk, RiskLevel, "retrafficking_risk")
    workflow.require_choice(return_risk, RiskLevel, "return_risk")
    if not reasons.strip():
        raise InvalidInput(
            _("A risk assessment needs its reasons."),
            code="risk_reasons_required",
            detail={"reasons": ["Required."]},
        )
    assessment = RiskAssessment(
        case=ctx.case,
        retrafficking_risk=retrafficking_risk,
        return_risk=return_risk,
        assessed_at=ctx.now,
        assessed_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    assessment.reasons = reasons
    assessment.save(force_insert=True)
    event(
        Event.RISK_ASSESSED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=assessment,
        reason_code=f"{retrafficking_risk}:{return_risk}",
    )
    return assessment


@step(
    "record-reintegration-follow-up",
    label=_("Record the reintegration follow-up"),
    capability=C.CASE_ASSIST,
    rule=policy.Rule.REGISTERING,
    guards=(workflow.require_reintegration_due,),
    input=s.ReintegrationFollowUpSerializer,
    event=Event.REINTEGRATION_FOLLOWED_UP,
    help_text=_("After a return: whether the person was reached and how they are."),
)
def reintegration_follow_up(ctx: Context, *, outcome: str):
    """The follow-up the registering organisation owes after a return
    (CETS 197 art. 16(5); OSCE Uniform Guidelines 2019): it meets the
    reintegration deadline the return opened."""
    close_deadlines(
        case=ctx.case,
        kinds=[DeadlineKind.REINTEGRATION_FOLLOW_UP],
        now=ctx.now,
        met=True,
    )
    event(
        Event.REINTEGRATION_FOLLOWED_UP,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        reason_code=outcome,
    )
    return ctx.case


@step(
    "record-residence-permit",
    label=_("Record a residence permit"),
    capability=C.CASE_ASSIST,
    guards=(workflow.require_open, workflow.require_recognised),
    input=s.ResidencePermitCreateSerializer,
    output=s.ResidencePermitSerializer,
    event=Event.RESIDENCE_PERMIT_RECORDED,
    help_text=_("Applied for, granted or refused, with the date."),
)
def residence_permit_record(
    ctx: Context, *, status: str, status_on: date
) -> ResidencePermit:
    """The residence permit of a recognised victim (CETS 197 art. 14;
    Directive 2011/36/EU art. 11): applied for, granted or refused, with the
    date."""
    workflow.require_choice(status, ResidencePermitStatus, "status")
    workflow.require_not_in_future(
        status_on, today=timezone.localdate(ctx.now), field="status_on"
    )
    permit = ResidencePermit.objects.create(
        case=ctx.case,
        status=status,
        status_on=status_on,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    event(
        Event.RESIDENCE_PERMIT_RECORDED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=permit,
        reason_code=status,
    )
    return permit
