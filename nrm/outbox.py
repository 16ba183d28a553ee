"""Notifications as outbox rows, written in the caller's transaction and
delivered after commit, at least once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from core.training import BAND, is_training
from nrm.models import Organisation, OutboxMessage

logger = logging.getLogger("nrm.outbox")


class Notification(models.TextChoices):
    """Every kind of notification the services send; the label is the
    subject of its e-mail."""

    REFERRAL_RECEIVED = "referral.received", "New referral in your inbox"
    REFERRAL_ACCEPTED = "referral.accepted", "Your referral was accepted"
    REFERRAL_DECLINED = "referral.declined", "Your referral was declined"
    REFERRAL_WITHDRAWN = "referral.withdrawn", "A referral to you was withdrawn"
    REFERRAL_EXPIRED = "referral.expired", "A referral to you expired unanswered"
    ANONYMOUS_NOTIFICATION = (
        "referral.anonymous_notification",
        "Anonymous notification received",
    )
    DEADLINE_OVERDUE = "deadline.overdue", "A deadline is overdue"
    DECISION_TAKEN = "decision.taken", "A decision was taken on a case you assist"
    GUARDIAN_APPOINTED = "guardian.appointed", "You were appointed guardian of a child"
    GUARDIANSHIP_ENDED = "guardian.ended", "A guardianship ended"
    MAJORITY_REACHED = (
        "child.majority_reached",
        "A presumed child's recorded age of majority passed: review the case",
    )
    CHILD_MISSING = "child.missing", "URGENT: a child in the mechanism is missing"
    RECONSIDERATION_REQUESTED = (
        "decision.reconsideration_requested",
        "A reconsideration of a negative decision is requested",
    )
    # To the migration authority: the case number and the period's end only.
    PROTECTION_NOTICE = (
        "recovery.protection_notice",
        "Recovery and reflection period: no removal until its end",
    )
    PROTECTION_ENDED = (
        "recovery.protection_ended",
        "Recovery and reflection period ended or cancelled",
    )
    # Posted to a partner mechanism's inbox, not e-mailed: the payload is the
    # package (a JWE, ciphertext to the partner) and the hand-over's id.
    TRANSNATIONAL_HANDOVER = "transnational.handover", "Hand-over package"
    TRANSNATIONAL_ACKNOWLEDGEMENT = (
        "transnational.acknowledgement",
        "Hand-over acknowledgement",
    )


# Deliveries other than e-mail, registered by the app that owns them (the
# referral app posts transnational packages to partner inboxes): kind ->
# callable(message) that raises on failure.
_transports: dict[str, Callable[[OutboxMessage], None]] = {}

# A failed delivery to a partner waits before it is tried again: 1, 2, 4...
# minutes, at most six hours.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 10


def register_transport(
    kind: Notification | str, deliver: Callable[[OutboxMessage], None]
) -> None:
    _transports[Notification(kind).value] = deliver


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def enqueue(
    kind: Notification | str, *, organisation: Organisation, **payload
) -> OutboxMessage:
    """Write one notification of a known kind (else ValueError); the payload
    carries ids and codes only."""
    kind = Notification(kind)
    clean = {key: str(value) for key, value in payload.items()}
    return OutboxMessage.objects.create(
        kind=kind.value, organisation=organisation, payload=clean
    )


def deliver_pending(*, limit: int = 500) -> int:
    """Deliver undelivered messages (by e-mail, or by the transport
    registered for their kind); returns how many were sent.

    Each message is locked (SKIP LOCKED where supported) so several workers
    can run at once; a failure is counted and retried on a later run, after
    a backoff. An e-mail names ids only: the recipient signs in to see more.
    """
    sent = 0
    tried: list = []
    while len(tried) < limit:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("organisation")
                .filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
                .filter(
                    Q(next_attempt_at__isnull=True)
                    | Q(next_attempt_at__lte=timezone.now())
                )
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
                if message.kind in _transports:
                    # A partner's inbox: its refusal code is kept, and the
                    # next attempt waits (e-mail is retried on the next run).
                    message.last_error = f"{type(exc).__name__}: {exc}"[:200]
                    message.next_attempt_at = timezone.now() + backoff(message.attempts)
                message.save(
                    update_fields=["attempts", "last_error", "next_attempt_at"]
                )
                logger.warning("outbox delivery failed", extra={"event": message.kind})
                continue
            message.delivered_at = timezone.now()
            message.save(update_fields=["attempts", "delivered_at"])
            sent += 1
    return sent


def _send(message: OutboxMessage) -> None:
    transport = _transports.get(message.kind)
    if transport is not None:
        transport(message)
        return
    recipient = message.organisation.email
    if not recipient:
        return
    subject = Notification(message.kind).label
    lines = [f"{key}: {value}" for key, value in sorted(message.payload.items())]
    body = "\n".join([subject + ".", "", *lines, "", "Sign in to the service to act."])
    if is_training():
        # An exercise's notification never passes for a real one.
        subject = f"[{BAND}] {subject}"
        body = f"{BAND}\n\n{body}\n\n{BAND}"
    send_mail(subject, body, None, [recipient])
