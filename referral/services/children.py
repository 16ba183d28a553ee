"""What only a child's case has: the appointed guardian, the child's views,
the best-interests assessment, the age assessment and the recorded age of
majority passing. (The alert when a child goes missing is part of the
suspend step: `common.missing_child_alert`.)"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import InvalidInput
from nrm import audit, outbox
from nrm.audit import Event
from nrm.models import Membership, Organisation
from nrm.roles import Capability as C
from nrm.roles import Role
from nrm.selectors import active_profile
from referral import persons, policy, selectors, workflow
from referral import serializers as s
from referral.deadlines import end_of_day
from referral.models import (
    OPEN_STATES,
    AgeAssessment,
    AgeAssessmentResult,
    BestInterestsAssessment,
    Case,
    ChildViews,
    Deadline,
    DeadlineKind,
    GuardianAppointment,
    GuardianshipEndReason,
)
from referral.services.common import event
from referral.steps import Context, step

CHILD_ONLY = (workflow.require_open, workflow.require_child)


def _guardian_organisation(guardian) -> Organisation | None:
    membership = (
        Membership.objects.filter(user=guardian, role=Role.GUARDIAN, is_active=True)
        .select_related("organisation")
        .order_by("created_at")
        .first()
    )
    return membership.organisation if membership is not None else None


@step(
    "appoint-guardian",
    label=_("Record a guardian's appointment"),
    capability=C.GUARDIAN_APPOINT,
    rule=policy.Rule.CHILD_PROTECTION,
    guards=CHILD_ONLY,
    input=s.GuardianAppointSerializer,
    output=s.GuardianAppointmentSerializer,
    event=Event.GUARDIAN_APPOINTED,
    notifications=("guardian.appointed",),
)
def guardian_appoint(ctx: Context, *, guardian_id: UUID) -> GuardianAppointment:
    """The child-protection or guardianship authority appoints the guardian,
    who is told at once and represents the child from then on (CETS 197 art.
    10(4)(a); Directive 2011/36/EU art. 14(2); OSCE Uniform Guidelines 2019).
    The child's referrals never waited for this appointment."""
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
        previous.end_reason = GuardianshipEndReason.REPLACED
        previous.save(update_fields=["ended_at", "end_reason"])
    appointment = GuardianAppointment.objects.create(
        case=ctx.case, guardian=guardian, appointed_at=ctx.now, recorded_by=ctx.actor
    )
    event(
        Event.GUARDIAN_APPOINTED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=appointment,
        extra={"guardian": str(guardian.pk)},
    )
    organisation = _guardian_organisation(guardian)
    if organisation is not None:
        outbox.enqueue(
            "guardian.appointed",
            organisation=organisation,
            case_id=ctx.case.pk,
            appointment_id=appointment.pk,
            guardian_id=guardian.pk,
        )
    return appointment


@step(
    "record-child-views",
    label=_("Record the child's views"),
    capability=C.CHILD_VIEWS_RECORD,
    guards=CHILD_ONLY,
    input=s.ChildViewsCreateSerializer,
    output=s.ChildViewsSerializer,
    event=Event.CHILD_VIEWS_RECORDED,
    help_text=_("As the child's guardian: what the child says they want."),
)
def child_views_record(
    ctx: Context, *, views: str, language: str, interpreter_present: bool = False
) -> ChildViews:
    """The appointed guardian records the child's views, sealed (CETS 197
    art. 10(4); Directive 2011/36/EU arts. 14(2), 15(3); OSCE Uniform
    Guidelines 2019: the child is heard)."""
    if not views.strip():
        raise InvalidInput(
            _("The child's views cannot be empty."),
            code="views_required",
            detail={"views": ["Required."]},
        )
    record = ChildViews(
        case=ctx.case,
        language=language,
        interpreter_present=interpreter_present,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
    )
    record.views = views
    record.full_clean(exclude=["case", "recorded_by"])
    record.save(force_insert=True)
    event(
        Event.CHILD_VIEWS_RECORDED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=record,
        extra={"language": language},
    )
    return record


@step(
    "record-best-interests",
    label=_("Record a best-interests assessment"),
    capability=C.BEST_INTERESTS_ASSESS,
    rule=policy.Rule.CHILD_PROTECTION,
    guards=CHILD_ONLY,
    input=s.BestInterestsSerializer,
    output=s.BestInterestsAssessmentSerializer,
    event=Event.BEST_INTERESTS_RECORDED,
)
def best_interests_record(
    ctx: Context, *, recommendation: str, summary: str
) -> BestInterestsAssessment:
    """Recorded by the child-protection or guardianship authority holding the
    case, never by any organisation assisting the child (CETS 197 art. 16(7);
    Directive 2011/36/EU arts. 13(1), 14, 16(2))."""
    assessment = BestInterestsAssessment(
        case=ctx.case,
        recommendation=recommendation,
        assessed_at=ctx.now,
        assessed_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    assessment.summary = summary
    assessment.full_clean(exclude=["case", "assessed_by", "organisation"])
    assessment.save(force_insert=True)
    event(
        Event.BEST_INTERESTS_RECORDED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=assessment,
        reason_code=recommendation,
    )
    return assessment


@step(
    "record-age-assessment",
    label=_("Record an age assessment"),
    capability=C.AGE_ASSESS,
    rule=policy.Rule.AGE_ASSESSOR,
    guards=CHILD_ONLY,
    input=s.AgeAssessmentCreateSerializer,
    output=s.AgeAssessmentSerializer,
    event=Event.AGE_ASSESSED,
    notifications=("guardian.ended",),
    help_text=_(
        "Only a result of adult ends the presumption of minority; in doubt, "
        "the person stays a child."
    ),
)
def age_assessment_record(
    ctx: Context, *, method: str, result: str, assessed_on: date
) -> AgeAssessment:
    """The competent authority or child protection records an age assessment
    (method, result, date). The benefit of the doubt stays with the person:
    only a result of `adult` ends the presumption of minority, and with it the
    guardianship, with an audited reason (CETS 197 art. 10(3); Directive
    2011/36/EU art. 13(2); OSCE Uniform Guidelines 2019)."""
    if assessed_on > timezone.localdate(ctx.now):
        raise InvalidInput(
            _("The date of an age assessment cannot be in the future."),
            code="assessed_on_in_future",
            detail={"assessed_on": ["In the future."]},
        )
    record = AgeAssessment(
        case=ctx.case,
        method=method,
        result=result,
        assessed_on=assessed_on,
        recorded_at=ctx.now,
        recorded_by=ctx.actor,
        organisation=ctx.membership.organisation,
    )
    record.full_clean(exclude=["case", "recorded_by", "organisation"])
    record.save(force_insert=True)
    event(
        Event.AGE_ASSESSED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=record,
        reason_code=result,
        extra={"method": method},
    )
    # The assessment answers any review the recorded age of majority raised.
    Deadline.objects.filter(
        case=ctx.case,
        kind=DeadlineKind.MAJORITY_REVIEW,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).update(met_at=ctx.now)
    if result == AgeAssessmentResult.ADULT:
        _end_presumption_of_minority(ctx, record)
    return record


def _end_presumption_of_minority(ctx: Context, record: AgeAssessment) -> None:
    case = ctx.case
    persons.person_update(person_id=case.person_id, is_child=False, age_group="unknown")
    case.person.refresh_from_db(fields=["is_child", "age_group"])
    event(
        Event.PERSON_UPDATED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=case,
        obj=case.person,
        reason_code=GuardianshipEndReason.MAJORITY_CONFIRMED,
        extra={"fields": ["age_group", "is_child"], "age_assessment": str(record.pk)},
    )
    for appointment in GuardianAppointment.objects.select_for_update().filter(
        case=case, ended_at__isnull=True
    ):
        appointment.ended_at = ctx.now
        appointment.end_reason = GuardianshipEndReason.MAJORITY_CONFIRMED
        appointment.save(update_fields=["ended_at", "end_reason"])
        event(
            Event.GUARDIANSHIP_ENDED,
            actor=ctx.actor,
            membership=ctx.membership,
            case=case,
            obj=appointment,
            reason_code=GuardianshipEndReason.MAJORITY_CONFIRMED,
            extra={"age_assessment": str(record.pk)},
        )
        organisation = _guardian_organisation(appointment.guardian)
        if organisation is not None:
            outbox.enqueue(
                "guardian.ended",
                organisation=organisation,
                case_id=case.pk,
                appointment_id=appointment.pk,
                reason=GuardianshipEndReason.MAJORITY_CONFIRMED,
            )


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February: the day after 28 February
        return born.replace(year=born.year + years, month=3, day=1)


def majority_review_raise(
    case: Case,
    *,
    now: datetime,
    reason_code: str = DeadlineKind.MAJORITY_REVIEW,
) -> Deadline:
    """Raise the review of a presumed child's age on the case (locked by the
    caller): a deadline for the registering organisation, audited, and a
    notification to it and to the appointed guardian's organisation. The
    recorded date of birth passing the age of majority raises it (the
    sweep), and so does a contested age (`reason_code` says which). Only an
    age assessment meets it (`record-age-assessment`)."""
    profile = active_profile()
    today = timezone.localdate(now)
    deadline = Deadline.objects.create(
        case=case,
        kind=DeadlineKind.MAJORITY_REVIEW,
        organisation=case.organisation,
        due_at=end_of_day(today + timedelta(days=profile.majority_review_days)),
    )
    audit.record(
        Event.MAJORITY_REACHED,
        actor=None,
        organisation=case.organisation,
        object_type="deadline",
        object_id=deadline.pk,
        case_id=case.pk,
        reason_code=reason_code,
    )
    recipients = [case.organisation]
    appointment = workflow.active_guardian(case)
    if appointment is not None:
        guardian_org = _guardian_organisation(appointment.guardian)
        if guardian_org is not None and guardian_org not in recipients:
            recipients.append(guardian_org)
    for organisation in recipients:
        outbox.enqueue(
            "child.majority_reached",
            organisation=organisation,
            case_id=case.pk,
            deadline_id=deadline.pk,
        )
    return deadline


def majority_sweep(*, now: datetime | None = None) -> int:
    """A presumed child whose recorded date of birth (read through the vault,
    never stored in clear) shows they reached the age of majority: a review
    deadline for the registering organisation and a notification to it and
    to the guardian. Never a silent change: the presumption of minority ends
    only by an age assessment (CETS 197 art. 10(3); OSCE Uniform Guidelines
    2019). Returns how many cases were raised."""
    now = now or clock.now()
    profile = active_profile()
    today = timezone.localdate(now)
    raised = 0
    candidates = (
        Case.objects.filter(
            state__in=OPEN_STATES, person__is_child=True, person__erased_at__isnull=True
        )
        .exclude(deadlines__kind=DeadlineKind.MAJORITY_REVIEW)
        .values_list("pk", flat=True)
    )
    for case_id in list(candidates):
        with transaction.atomic():
            # The case row first, then the audit chain (audit.record), as the
            # services lock them; a case a step holds now waits for the next
            # sweep.
            case = (
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("person", "organisation")
                .filter(pk=case_id)
                .first()
            )
            if (
                case is None
                or Deadline.objects.filter(
                    case=case, kind=DeadlineKind.MAJORITY_REVIEW
                ).exists()
            ):
                continue
            born = case.person.date_of_birth  # opened by the vault
            if born is None:
                continue
            birthday = _birthday(born, profile.age_of_majority)
            if birthday > today:
                continue
            majority_review_raise(case, now=now)
            raised += 1
    return raised
