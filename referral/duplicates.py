"""Possible duplicate registrations: detected at registration, reviewed by a
supervisor of the registering organisation.

The registration looks the person up by blind index across the whole
mechanism (`persons.possible_duplicates`). The officer who registers is told
only that a supervisor will review a possible duplicate: not how many
matches, nor where, nor whether the name is known anywhere else. Every
lookup is an audit event (`person.duplicate_checked`, with the number of
matches, in the registering organisation's trail); so is every read of a
review's matches and every resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from nrm import audit
from nrm.audit import Event
from nrm.models import Membership, User
from referral import policy, workflow
from referral.models import Case, DuplicateOutcome, DuplicateReview


def duplicate_check(
    *, case: Case, matches: list[UUID], actor: User, membership: Membership
) -> DuplicateReview | None:
    """Record the registration's lookup; open a review when it matched. Inside
    the registration's transaction."""
    review = None
    if matches:
        review = DuplicateReview.objects.create(
            case=case,
            organisation=membership.organisation,
            matched_person_ids=[str(pk) for pk in matches],
            opened_at=timezone.now(),
        )
    _record(
        Event.DUPLICATE_CHECKED,
        actor=actor,
        membership=membership,
        case=case,
        review=review,
        extra={"matches": len(matches)},
    )
    return review


def duplicate_review_list(user: User, *, open_only: bool) -> QuerySet[DuplicateReview]:
    queryset = policy.visible_duplicate_reviews(user).select_related("case")
    if open_only:
        queryset = queryset.filter(resolved_at__isnull=True)
    return queryset.order_by("opened_at", "id")


@dataclass(frozen=True)
class ReviewDetail:
    review: DuplicateReview
    matches: list[Case]


@transaction.atomic
def duplicate_review_read(*, actor: User, review_id: object) -> ReviewDetail:
    """The review with the cases of the people it matched (references, states,
    organisations; no personal data; the id only of a case the reviewer may
    open). An audited read."""
    review, membership = policy.get_duplicate_review(actor, review_id)
    matches = list(
        Case.objects.filter(person_id__in=review.matched_person_ids)
        .select_related("organisation")
        .order_by("registered_at", "id")
    )
    for case in matches:
        case.visible_to_reviewer = policy.is_visible(actor, case)
    _record(
        Event.DUPLICATE_REVIEW_READ,
        actor=actor,
        membership=membership,
        case=review.case,
        review=review,
        extra={"matches": len(matches)},
    )
    return ReviewDetail(review=review, matches=matches)


@transaction.atomic
def duplicate_review_resolve(
    *, actor: User, review_id: object, outcome: str
) -> DuplicateReview:
    review, membership = policy.get_duplicate_review(actor, review_id, for_update=True)
    workflow.require_choice(outcome, DuplicateOutcome, "outcome")
    if review.resolved_at is not None:
        raise Conflict(
            _("This possible duplicate was resolved already."),
            code="already_resolved",
        )
    review.resolved_at = timezone.now()
    review.resolved_by = actor
    review.outcome = outcome
    review.save(update_fields=["resolved_at", "resolved_by", "outcome"])
    _record(
        Event.DUPLICATE_REVIEW_RESOLVED,
        actor=actor,
        membership=membership,
        case=review.case,
        review=review,
        reason_code=outcome,
    )
    return review


def _record(action, *, actor, membership, case, review, extra=None, reason_code=""):
    audit.record(
        action,
        actor=actor,
        organisation=membership.organisation,
        role=membership.role,
        object_type="duplicatereview" if review else "case",
        object_id=review.pk if review else case.pk,
        case_id=case.pk,
        reason_code=reason_code,
        extra=extra or {},
    )
