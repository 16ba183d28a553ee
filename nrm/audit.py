"""The audit trail's only writer.

`record()` appends one hash-chained `AuditEvent` inside the caller's
transaction. Only services call it. Events carry ids and codes; a free-text
reason arrives already sealed by the vault (`reason_sealed`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from nrm.models import AuditChainHead, AuditEvent, Organisation, User

GENESIS = "0" * 64


class Event(models.TextChoices):
    """Every kind of audited event; the codes are stable."""

    # Access
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    LOCKOUT = "auth.lockout"
    TOKEN_ISSUED = "auth.token_issued"  # noqa: S105 - an event code
    TOKEN_REVOKED = "auth.token_revoked"  # noqa: S105 - an event code
    MEMBERSHIP_GRANTED = "staff.membership_granted"
    MEMBERSHIP_REVOKED = "staff.membership_revoked"
    ACCESS_GRANTED = "access.granted"
    ACCESS_REVOKED = "access.revoked"
    # Personal data
    PERSON_REGISTERED = "person.registered"
    PERSON_READ = "person.read"
    PERSON_UPDATED = "person.updated"
    PERSON_ERASED = "person.erased"
    SUBJECT_ACCESS_EXPORTED = "person.subject_access_exported"
    # Cases and workflow
    CASE_TRANSITION = "case.transition"
    SCREENING_RECORDED = "screening.recorded"
    CONSENT_RECORDED = "consent.recorded"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    GUARDIAN_APPOINTED = "guardian.appointed"
    BEST_INTERESTS_RECORDED = "best_interests.recorded"
    REFERRAL_SENT = "referral.sent"
    REFERRAL_ACCEPTED = "referral.accepted"
    REFERRAL_DECLINED = "referral.declined"
    REFERRAL_WITHDRAWN = "referral.withdrawn"
    REFERRAL_EXPIRED = "referral.expired"
    REFERRAL_COMPLETED = "referral.completed"
    ANONYMOUS_NOTIFICATION = "referral.anonymous_notification"
    DECISION_TAKEN = "decision.taken"
    DEADLINE_OVERDUE = "deadline.overdue"
    # Oversight
    AUDIT_EXPORTED = "audit.exported"
    STATISTICS_EXPORTED = "statistics.exported"
    CASE_LEVEL_EXPORTED = "statistics.case_level_exported"
    KEY_ROTATED = "vault.key_rotated"


_HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "organisation_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "from_state",
    "to_state",
    "reason_code",
    "reason_sealed",
    "extra",
)


def _canonical(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    return value


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    """SHA-256 over a canonical JSON of the event and its predecessor's hash."""
    body = {name: _canonical(getattr(event, name)) for name in _HASHED_FIELDS}
    body["prev_hash"] = prev_hash
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def record(
    action: str,
    *,
    actor: User | None,
    organisation: Organisation | None = None,
    role: str = "",
    object_type: str = "",
    object_id: object = "",
    case_id: UUID | None = None,
    from_state: str = "",
    to_state: str = "",
    reason_code: str = "",
    reason_sealed: bytes | None = None,
    extra: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or a
    transaction of its own). No savepoint: an event that cannot be written
    fails the caller's whole write, and a savepoint would cost two round
    trips on every audited write."""
    if action not in Event.values:
        raise ValueError("unknown audit event code")
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            organisation=organisation,
            role=role,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id else "",
            case_id=case_id,
            from_state=from_state,
            to_state=to_state,
            reason_code=reason_code,
            reason_sealed=reason_sealed,
            extra=extra or {},
            prev_hash=head.last_hash,
        )
        # Round-trip through JSON so the hash sees what the database stores.
        event.extra = json.loads(json.dumps(event.extra, default=str))
        event.hash = event_hash(head.last_hash, event)
        event.save(force_insert=True)
        head.last_id = event.id
        head.last_hash = event.hash
        head.save(update_fields=["last_id", "last_hash"])
    return event


def lock_chain() -> None:
    """Take the chain's lock now, for callers that must take it before other
    row locks (see referral.services.deadlines_sweep)."""
    _locked_head()


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    problem: str


def verify(batch_size: int = 5000) -> Iterator[ChainBreak]:
    """Walk the chain in order; yield the first broken link, if any."""
    prev = GENESIS
    last_id = 0
    queryset = AuditEvent.objects.order_by("id")
    for event in queryset.iterator(chunk_size=batch_size):
        if event.prev_hash != prev:
            yield ChainBreak(
                event.id,
                "previous hash does not match: a row before it was removed or altered",
            )
            return
        if event_hash(prev, event) != event.hash:
            yield ChainBreak(event.id, "content does not match its hash: altered")
            return
        prev = event.hash
        last_id = event.id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.last_id != last_id):
        yield ChainBreak(
            head.last_id or None,
            "the chain's head does not match its "
            "last event: events at the end were removed",
        )
