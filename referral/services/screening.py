"""Screening with indicators, possible in every open state."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from indicators import assessment as indicator_assessment
from nrm.audit import Event
from nrm.choices import ServiceKind
from nrm.roles import Capability as C
from referral import serializers as s
from referral import workflow
from referral.models import Case, CaseState, Referral, ReferralState, Screening
from referral.services.common import event, refer_child_to_protection, transit
from referral.steps import Context, step


@dataclass(frozen=True)
class ScreeningResult:
    screening: Screening
    case: Case
    child_protection_referral: Referral | None
    warnings: tuple[str, ...]


@step(
    "screen",
    label=_("Record a screening"),
    capability=C.CASE_SCREEN,
    fires=("record_screening", "record_later_screening"),
    input=s.ScreeningCreateSerializer,
    output=s.ScreeningResultSerializer,
    event=Event.SCREENING_RECORDED,
    page="case-screen",
    milestones=True,
)
def screening_record(
    ctx: Context,
    *,
    catalogue_id: str,
    indicator_codes: list[str],
    interpreter_language: str = "",
    notes: str = "",
) -> ScreeningResult:
    """Screen with indicators, in any open state; a first screening that calls
    for referral moves the case to `referral_pending`; a child is referred to
    child protection whatever the outcome."""
    case, actor, membership, now = ctx.case, ctx.actor, ctx.membership, ctx.now
    first = case.state in (CaseState.REGISTERED, CaseState.SCREENED)
    try:
        result = indicator_assessment.assess(catalogue_id, indicator_codes)
    except LookupError as exc:
        raise InvalidInput(
            _("Unknown indicator catalogue."),
            code="unknown_catalogue",
            detail={"catalogue_id": [str(exc)]},
        ) from None
    except ValueError as exc:
        raise InvalidInput(
            _("Unknown indicator codes for this catalogue."),
            code="unknown_indicators",
            detail={"indicator_codes": [str(exc)]},
        ) from None
    screening = Screening(
        case=case,
        catalogue_id=catalogue_id,
        indicator_codes=sorted(set(indicator_codes)),
        assessment=json.loads(json.dumps(result.to_dict(), default=str)),
        outcome=result.outcome,
        interpreter_language=interpreter_language,
        screened_at=now,
        screened_by=actor,
        organisation=membership.organisation,
    )
    screening.notes = notes
    screening.save(force_insert=True)
    event(
        Event.SCREENING_RECORDED,
        actor=actor,
        membership=membership,
        case=case,
        obj=screening,
        reason_code=result.outcome,
        extra={
            "catalogue_id": catalogue_id,
            "indicators": len(screening.indicator_codes),
        },
    )
    if first:
        transit(
            case,
            "record_screening",
            actor=actor,
            membership=membership,
            reason_code=result.outcome,
            at=now,
            outcome=result.outcome,
            calls_for_referral=workflow.calls_for_referral(case, result.outcome),
        )
    else:
        transit(
            case,
            "record_later_screening",
            actor=actor,
            membership=membership,
            reason_code=result.outcome,
            at=now,
            outcome=result.outcome,
        )
    child_referral, warnings = None, []
    if case.person.is_child:
        # Sent at registration already, as a rule; the screening reports it.
        child_referral = refer_child_to_protection(case, actor=actor, now=now) or (
            Referral.objects.filter(
                case=case,
                purpose=ServiceKind.CHILD_PROTECTION,
                state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
            ).first()
        )
        if child_referral is None:
            warnings.append("no_child_protection_pathway")
    return ScreeningResult(screening, case, child_referral, tuple(warnings))
