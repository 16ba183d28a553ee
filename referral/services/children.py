"""What only a child's case has: the appointed guardian and the
best-interests assessment."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from nrm.audit import Event
from nrm.roles import Capability as C
from referral import policy, selectors, workflow
from referral import serializers as s
from referral.models import BestInterestsAssessment, GuardianAppointment
from referral.services.common import event
from referral.steps import Context, step

CHILD_ONLY = (workflow.require_open, workflow.require_child)


@step(
    "appoint-guardian", label=_("Record a guardian's appointment"),
    capability=C.GUARDIAN_APPOINT, rule=policy.Rule.CHILD_PROTECTION,
    guards=CHILD_ONLY, input=s.GuardianAppointSerializer,
    output=s.GuardianAppointmentSerializer, event=Event.GUARDIAN_APPOINTED,
)  # fmt: skip
def guardian_appoint(ctx: Context, *, guardian_id: UUID) -> GuardianAppointment:
    guardian = selectors.guardians().filter(pk=guardian_id).first()
    if guardian is None:
        raise InvalidInput(
            _("That user is not a guardian."),
            code="not_a_guardian",
            detail={"guardian_id": ["Not a guardian."]},
        )
    for previous in GuardianAppointment.objects.select_for_update().filter(
        case=ctx.case, ended_at__isnull=True
    ):
        previous.ended_at = ctx.now
        previous.save(update_fields=["ended_at"])
    appointment = GuardianAppointment.objects.create(
        case=ctx.case, guardian=guardian, appointed_at=ctx.now, recorded_by=ctx.actor
    )
    event(
        Event.GUARDIAN_APPOINTED, actor=ctx.actor, membership=ctx.membership,
        case=ctx.case, obj=appointment, extra={"guardian": str(guardian.pk)},
    )  # fmt: skip
    return appointment


@step(
    "record-best-interests", label=_("Record a best-interests assessment"),
    capability=C.BEST_INTERESTS_ASSESS, guards=CHILD_ONLY,
    input=s.BestInterestsSerializer, output=s.BestInterestsAssessmentSerializer,
    event=Event.BEST_INTERESTS_RECORDED,
)  # fmt: skip
def best_interests_record(
    ctx: Context, *, recommendation: str, summary: str
) -> BestInterestsAssessment:
    assessment = BestInterestsAssessment(
        case=ctx.case, recommendation=recommendation, assessed_at=ctx.now,
        assessed_by=ctx.actor, organisation=ctx.membership.organisation,
    )  # fmt: skip
    assessment.summary = summary
    assessment.full_clean(exclude=["case", "assessed_by", "organisation"])
    assessment.save(force_insert=True)
    event(
        Event.BEST_INTERESTS_RECORDED, actor=ctx.actor, membership=ctx.membership,
        case=ctx.case, obj=assessment, reason_code=recommendation,
    )  # fmt: skip
    return assessment
