"""Reads: the visibility-filtered querysets and what the pages and API list.

Every queryset here starts from the policy's visible set, so a selector can
never return what the user may not see.
"""

from __future__ import annotations

from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet

from core import clock
from nrm.choices import ServiceKind
from nrm.models import AuditEvent, Membership, Organisation, User
from nrm.roles import Capability, Role
from nrm.selectors import pathway_services
from referral import policy
from referral.models import (
    OPEN_STATES,
    AnonymousNotification,
    Case,
    CaseExploitationForm,
    Deadline,
    DeadlineKind,
    PersonRequest,
    Referral,
    ReferralState,
)


def _overdue(now) -> Exists:
    return Exists(
        Deadline.objects.filter(
            case=OuterRef("pk"),
            due_at__lt=now,
            met_at__isnull=True,
            cancelled_at__isnull=True,
        )
    )


def case_list(
    user: User, *, state: str | None = None, overdue: bool | None = None
) -> QuerySet[Case]:
    """The user's visible cases with what a list shows: coarse attributes,
    no personal data. Costs a fixed number of queries whatever its length."""
    now = clock.now()
    queryset = (
        policy.visible_cases(user)
        .select_related("organisation", "person")
        .annotate(is_overdue=_overdue(now))
        .prefetch_related(
            Prefetch("forms", queryset=CaseExploitationForm.objects.order_by("form"))
        )
        .order_by("-registered_at")
    )
    if state:
        queryset = queryset.filter(state=state)
    if overdue is not None:
        queryset = queryset.filter(is_overdue=overdue)
    return queryset


def case_history(case: Case) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(case_id=case.pk)
        .select_related("actor", "organisation")
        .order_by("id")
    )


def case_deadlines(case: Case) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case=case).select_related("organisation")


def case_referrals(user: User, case: Case) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(case=case)
        .select_related("from_organisation", "to_organisation")
        .order_by("-sent_at")
    )


def referral_inbox(user: User, *, state: str | None = None) -> QuerySet[Referral]:
    queryset = (
        policy.inbox(user)
        .select_related("case", "case__person", "from_organisation", "to_organisation")
        .order_by("-sent_at")
    )
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def referral_outbox(user: User, *, state: str | None = None) -> QuerySet[Referral]:
    queryset = (
        policy.outbox(user)
        .select_related("case", "case__person", "from_organisation", "to_organisation")
        .order_by("-sent_at")
    )
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def anonymous_inbox(user: User) -> QuerySet[AnonymousNotification]:
    organisations = [
        m.organisation_id
        for m in policy.memberships_with(user, Capability.REFERRAL_INBOX)
    ]
    return (
        AnonymousNotification.objects.filter(to_organisation_id__in=organisations)
        .select_related("from_organisation")
        .order_by("-sent_at")
    )


def deadlines_for(
    user: User, *, overdue_only: bool = False, kinds: list[str] | None = None
) -> QuerySet[Deadline]:
    """Open deadlines the user's organisations answer for, or that fall on
    cases they may see, earliest first."""
    organisations = [
        m.organisation_id
        for m in policy.memberships_with(user, Capability.DEADLINES_VIEW)
    ]
    queryset = (
        Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True)
        .filter(
            Q(organisation_id__in=organisations)
            | Q(
                case__in=policy.visible_cases(user),
                case__organisation_id__in=organisations,
            )
        )
        .select_related("organisation", "case")
        .order_by("due_at")
    )
    if overdue_only:
        queryset = queryset.filter(due_at__lt=clock.now())
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return queryset


def decision_queue(user: User) -> QuerySet[Deadline]:
    return deadlines_for(
        user, kinds=[DeadlineKind.RG_DECISION, DeadlineKind.RECOVERY_PERIOD_END]
    )


def guardians() -> QuerySet[User]:
    """Active users holding an active guardian role: who may be appointed."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.GUARDIAN,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("username")
    )


def person_requests(case: Case) -> QuerySet[PersonRequest]:
    """The recorded requests of the person on a case, newest first (a step
    held back by the recovery period names one)."""
    return PersonRequest.objects.filter(case=case).order_by("-recorded_at")


def recipients(*, purpose: str | None = None) -> QuerySet[Organisation]:
    queryset = Organisation.objects.filter(is_active=True).order_by("name")
    if purpose:
        queryset = queryset.filter(services__kind=purpose, services__is_active=True)
    return queryset


def audit_events_for(
    user: User,
    organisation_id,
    *,
    case_id=None,
    user_id=None,
    action: str | None = None,
    since=None,
    until=None,
) -> QuerySet[AuditEvent]:
    """An organisation's audit trail: what its staff did, and everything done
    to the cases it registered."""
    queryset = (
        AuditEvent.objects.filter(
            Q(organisation_id=organisation_id)
            | Q(
                case_id__in=Case.objects.filter(organisation_id=organisation_id).values(
                    "pk"
                )
            )
        )
        .select_related("actor", "organisation")
        .annotate(
            # A case id is shown only for cases the reader may see (an event
            # of the organisation's own can name a case it was only offered).
            case_visible=Exists(
                policy.visible_cases(user).filter(pk=OuterRef("case_id"))
            )
        )
        .order_by("id")
    )
    if case_id:
        queryset = queryset.filter(case_id=case_id)
    if user_id:
        queryset = queryset.filter(actor_id=user_id)
    if action:
        queryset = queryset.filter(action=action)
    if since:
        queryset = queryset.filter(occurred_at__gte=since)
    if until:
        queryset = queryset.filter(occurred_at__lte=until)
    return queryset


# The home page's panels


def open_cases_by_deadline(user: User) -> QuerySet[Case]:
    """The user's registering organisations' open cases, the one whose next
    open deadline comes first at the top (cases without one last)."""
    organisations = [
        m.organisation_id
        for m in policy.memberships_with(user, Capability.PERSON_REGISTER)
    ]
    open_deadlines = Q(
        deadlines__met_at__isnull=True, deadlines__cancelled_at__isnull=True
    )
    return (
        policy.visible_cases(user)
        .filter(organisation_id__in=organisations, state__in=OPEN_STATES)
        .annotate(next_due=Min("deadlines__due_at", filter=open_deadlines))
        .order_by(F("next_due").asc(nulls_last=True), "-registered_at")
    )


def referral_answers(user: User) -> QuerySet[Referral]:
    """Referrals the user's organisations sent that were answered, latest
    first."""
    answered = [ReferralState.ACCEPTED, ReferralState.DECLINED]
    return referral_outbox(user).filter(state__in=answered).order_by("-answered_at")


def guardian_choices(case: Case) -> list[tuple[User, str]]:
    """The guardians who may be appointed, with their organisation's name:
    those of the authority responsible for the case's region (its
    child-protection pathway) first, then the others, by name."""
    responsible = {
        service.organisation_id
        for service in pathway_services(
            purpose=ServiceKind.CHILD_PROTECTION, region=case.region, is_child=True
        )
    }
    memberships = Membership.objects.filter(
        role=Role.GUARDIAN, is_active=True, user__is_active=True
    ).select_related("user", "organisation")
    rows = {}
    for membership in memberships:
        rank = 0 if membership.organisation_id in responsible else 1
        user = membership.user
        name = user.get_full_name() or user.get_username()
        key = (rank, name.casefold(), str(user.pk))
        rows.setdefault(user.pk, (key, user, membership.organisation.name))
    return [(user, org) for _key, user, org in sorted(rows.values())]
