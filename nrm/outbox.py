"""Notifications as outbox rows, written in the caller's transaction and
delivered after commit, at least once."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from nrm.models import Organisation, OutboxMessage

logger = logging.getLogger("nrm.outbox")

SUBJECTS = {
    "referral.received": "New referral in your inbox",
    "referral.accepted": "Your referral was accepted",
    "referral.declined": "Your referral was declined",
    "referral.anonymous_notification": "Anonymous notification received",
    "deadline.overdue": "A deadline is overdue",
    "decision.taken": "A decision was taken on a case you referred",
    "case.transferred": "A transnational referral was sent",
}


def enqueue(kind: str, *, organisation: Organisation, **payload) -> OutboxMessage:
    """Write one notification; payload carries ids and codes only."""
    clean = {key: str(value) for key, value in payload.items()}
    return OutboxMessage.objects.create(
        kind=kind, organisation=organisation, payload=clean
    )


def deliver_pending(*, limit: int = 500) -> int:
    """Deliver undelivered messages by e-mail; returns how many were sent.

    Each message is locked (SKIP LOCKED where supported) so several workers
    can run at once; a failure is counted and retried on the next run. The
    message names ids only: the recipient signs in to see more.
    """
    sent = 0
    tried: list = []
    while len(tried) < limit:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("organisation")
                .filter(delivered_at__isnull=True, attempts__lt=10)
                .exclude(pk__in=tried)
                .order_by("created_at")
                .first()
            )
            if message is None:
                break
            tried.append(message.pk)
            message.attempts += 1
            try:
                _send(message)
            except Exception as exc:  # noqa: BLE001 - retried later, kept in the row
                message.last_error = type(exc).__name__
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox delivery failed", extra={"event": message.kind})
                continue
            message.delivered_at = timezone.now()
            message.save(update_fields=["attempts", "delivered_at"])
            sent += 1
    return sent


def _send(message: OutboxMessage) -> None:
    recipient = message.organisation.email
    if not recipient:
        return
    subject = SUBJECTS.get(message.kind, "Notification")
    lines = [f"{key}: {value}" for key, value in sorted(message.payload.items())]
    body = "\n".join([subject + ".", "", *lines, "", "Sign in to the service to act."])
    send_mail(subject, body, None, [recipient])
