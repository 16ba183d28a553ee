"""Retention: which personal data has outlived its period, and its erasure.

The periods are the country profile's (`retention_*`; defaults in
docs/operations.md). A person's personal data is erased when every one of
their cases ended longer ago than its period:

- a case closed or transferred: `retention_closed_case_days` after it ended;
- a case that ended without identification (closed as not identified, for
  no indicators, or because consent was refused or withdrawn; or not
  identified and not reconsidered): `retention_refused_case_days`.

Erasure is the erasure service's crypto-shredding (`persons.person_erase`:
the data key destroyed) followed by the removal of the sealed values from
every row; the coarse columns the statistics read (sex, age group,
citizenship, dates of state changes, outcomes) and the ids the audit trail
refers to stay. Each person is erased in a transaction of its own, under
its lock, after checking again that they are due: a run can stop anywhere
and the next one carries on.

Delivered notifications are deleted after `retention_outbox_days`. Audit
events are append-only and hash-chained: this module counts those past
`retention_audit_days` but deletes none (see docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from nrm import audit
from nrm.audit import Event
from nrm.models import AuditEvent, CountryProfile, OutboxMessage
from nrm.selectors import active_profile
from referral import persons
from referral.models import Case, CaseState, CloseReason, Person

# Ends without identification: kept for the shorter period.
REFUSED_CLOSE_REASONS = (
    CloseReason.NOT_IDENTIFIED,
    CloseReason.NO_INDICATORS,
    CloseReason.CONSENT_WITHDRAWN,
)
CLOSED = "closed"
REFUSED = "refused"


def case_expired(profile: CountryProfile, now: datetime) -> Q:
    """Cases whose personal data has outlived its period."""
    closed_before = now - timedelta(days=profile.retention_closed_case_days)
    refused_before = now - timedelta(days=profile.retention_refused_case_days)
    closed = Q(state=CaseState.CLOSED)
    refused_reason = Q(close_reason__in=REFUSED_CLOSE_REASONS)
    return (
        (closed & refused_reason & Q(closed_at__lte=refused_before))
        | (closed & ~refused_reason & Q(closed_at__lte=closed_before))
        | Q(state=CaseState.TRANSFERRED, transferred_at__lte=closed_before)
        | Q(state=CaseState.NOT_IDENTIFIED, state_changed_at__lte=refused_before)
    )


def case_refused() -> Q:
    return Q(state=CaseState.CLOSED, close_reason__in=REFUSED_CLOSE_REASONS) | Q(
        state=CaseState.NOT_IDENTIFIED
    )


def people_due(profile: CountryProfile, now: datetime) -> QuerySet[Person]:
    """People not yet erased all of whose cases (at least one) have expired."""
    cases = Case.objects.filter(person=OuterRef("pk"))
    return (
        Person.objects.filter(erased_at__isnull=True)
        .filter(Exists(cases))
        .exclude(Exists(cases.exclude(case_expired(profile, now))))
    )


@dataclass(frozen=True)
class Due:
    person_id: UUID
    rule: str  # CLOSED or REFUSED
    cases: int
    ended: datetime


def _due_rows(profile: CountryProfile, now: datetime) -> QuerySet:
    """(person id, whether every case ended without identification)."""
    other_cases = Case.objects.filter(person=OuterRef("pk")).exclude(case_refused())
    return (
        people_due(profile, now)
        .annotate(all_refused=~Exists(other_cases))
        .order_by("registered_at", "id")
        .values_list("id", "all_refused")
    )


def due_list(profile: CountryProfile, now: datetime) -> list[Due]:
    """Who is due, with the rule, the number of cases and the last end."""
    rows = list(_due_rows(profile, now))
    ends = _case_ends([pk for pk, _ in rows])
    return [
        Due(pk, REFUSED if all_refused else CLOSED, ends[pk][0], ends[pk][1])
        for pk, all_refused in rows
    ]


def _case_ends(person_ids: Iterable[UUID]) -> dict[UUID, tuple[int, datetime]]:
    ends: dict[UUID, tuple[int, datetime]] = {}
    cases = Case.objects.filter(person_id__in=list(person_ids)).values_list(
        "person_id", "closed_at", "transferred_at", "state_changed_at"
    )
    for person_id, closed_at, transferred_at, changed_at in cases:
        end = closed_at or transferred_at or changed_at
        count, last = ends.get(person_id, (0, end))
        ends[person_id] = (count + 1, max(last, end))
    return ends


@dataclass
class RetentionReport:
    people_erased: int = 0
    rows_emptied: int = 0
    people_skipped: int = 0
    outbox_deleted: int = 0
    audit_past_period: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def person_retention_erase(*, person_id: UUID, now: datetime) -> int | None:
    """Erase one person whose data has outlived its period: crypto-shredding,
    then the sealed values removed; the rows emptied, or None when the person
    is no longer due (erased meanwhile, or a case reopened)."""
    profile = active_profile()
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not people_due(profile, now).filter(pk=person_id).exists():
        return None
    latest = Case.objects.filter(person_id=person_id).order_by("-registered_at").first()
    persons.person_erase(person_id=person_id)
    emptied = persons.person_remove_sealed_values(person_id=person_id)
    audit.record(
        Event.PERSON_ERASED,
        actor=None,
        object_type="person",
        object_id=person_id,
        case_id=latest.pk if latest else None,
        reason_code="retention",
    )
    return emptied


def outbox_due(profile: CountryProfile, now: datetime) -> QuerySet[OutboxMessage]:
    before = now - timedelta(days=profile.retention_outbox_days)
    return OutboxMessage.objects.filter(delivered_at__lte=before)


def audit_past_period(profile: CountryProfile, now: datetime) -> int:
    before = now - timedelta(days=profile.retention_audit_days)
    return AuditEvent.objects.filter(occurred_at__lt=before).count()


def apply_retention(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> RetentionReport:
    """Erase everyone due (at most `limit` people), delete old delivered
    notifications, record the run in the audit trail; what it did."""
    now = now or timezone.now()
    profile = active_profile()
    report = RetentionReport()
    # The erased drop out of the query; those found no longer due are skipped.
    skipped: set[UUID] = set()
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        batch = list(_due_rows(profile, now).exclude(pk__in=skipped)[:size])
        if not batch:
            break
        for person_id, all_refused in batch:
            done += 1
            emptied = person_retention_erase(person_id=person_id, now=now)
            if emptied is None:
                skipped.add(person_id)
                report.people_skipped += 1
            else:
                rule = REFUSED if all_refused else CLOSED
                report.people_erased += 1
                report.rows_emptied += emptied
                report.by_rule[rule] = report.by_rule.get(rule, 0) + 1
            if progress:
                progress(1)
    with transaction.atomic():
        report.outbox_deleted, _ = outbox_due(profile, now).delete()
        report.audit_past_period = audit_past_period(profile, now)
        audit.record(
            Event.RETENTION_APPLIED,
            actor=None,
            object_type="retention",
            extra={
                "people_erased": report.people_erased,
                "by_rule": report.by_rule,
                "outbox_deleted": report.outbox_deleted,
                "audit_past_period": report.audit_past_period,
            },
        )
    return report
