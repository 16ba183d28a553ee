"""The overdue sweep over deadlines."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from core import clock
from nrm import audit, outbox
from nrm.audit import Event
from nrm.outbox import Notification
from referral.models import Deadline, DeadlineKind
from referral.services.common import notify_migration_authority


def deadlines_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark newly overdue deadlines and notify the responsible organisation.
    Safe to run concurrently: each deadline is taken once (SKIP LOCKED)."""
    now = now or clock.now()
    notified = 0
    while True:
        with transaction.atomic():
            # The audit chain head first, as the services take it before (or
            # without) deadline rows: one lock order, no deadlock.
            audit.lock_chain()
            batch = list(
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    due_at__lt=now,
                    met_at__isnull=True,
                    cancelled_at__isnull=True,
                    overdue_notified_at__isnull=True,
                )
                .select_related("organisation", "case")
                .order_by("due_at")[:batch_size]
            )
            if not batch:
                return notified
            for deadline in batch:
                deadline.overdue_notified_at = now
                deadline.save(update_fields=["overdue_notified_at"])
                outbox.enqueue(
                    "deadline.overdue",
                    organisation=deadline.organisation,
                    deadline_id=deadline.pk,
                    deadline_kind=deadline.kind,
                    case_id=deadline.case_id,
                )
                audit.record(
                    Event.DEADLINE_OVERDUE,
                    actor=None,
                    organisation=deadline.organisation,
                    object_type="deadline",
                    object_id=deadline.pk,
                    case_id=deadline.case_id,
                    reason_code=deadline.kind,
                )
                if deadline.kind == DeadlineKind.RECOVERY_PERIOD_END:
                    # The period ended: the migration authority is told.
                    notify_migration_authority(
                        deadline.case,
                        Notification.PROTECTION_ENDED,
                        actor=None,
                        membership=None,
                        cause="period_ended",
                    )
                notified += 1
