"""The audit trail's only writer.

`record()` appends one chained `AuditEvent` inside the caller's
transaction. Only services call it. Events carry ids and codes; a free-text
reason arrives already sealed by the vault (`reason_sealed`).

The chain is keyed: each event's `hash` is an HMAC-SHA-256 (key from
`AUDIT_KEY_FILE`, never the database; `nrm.audit_keys`) over its content, the
id of that key and its predecessor's MAC. Whoever owns the tables can switch
the triggers off and edit rows, but cannot compute a MAC that verifies. What
the key cannot show is the removal of the newest events (the head can be set
back to an earlier event): `anchor()` gives the head to keep outside the
database (`manage.py audit_anchor`), and `verify_anchors()` checks that the
events still reach every anchored head (`verify_audit --anchor FILE`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import connection, models, transaction
from django.utils import timezone

from nrm import audit_keys
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
    DUPLICATE_CHECKED = "person.duplicate_checked"
    # A staff search for cases (by number, state, deadline, or a name through
    # the blind index): which criteria, how many matches; never the values.
    CASES_SEARCHED = "person.cases_searched"
    DUPLICATE_REVIEW_READ = "person.duplicate_review_read"
    DUPLICATE_REVIEW_RESOLVED = "person.duplicate_review_resolved"
    RETENTION_APPLIED = "retention.applied"
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
    RIGHTS_INFORMED = "rights.informed"
    CHILD_VIEWS_RECORDED = "child.views_recorded"
    AGE_ASSESSED = "age.assessed"
    GUARDIANSHIP_ENDED = "guardian.ended"
    MAJORITY_REACHED = "child.majority_reached"
    CHILD_MISSING = "child.missing"
    RECONSIDERATION_REQUESTED = "decision.reconsideration_requested"
    PERSON_REQUEST_RECORDED = "person_request.recorded"
    PROTECTION_NOTICE_SENT = "recovery.protection_notice_sent"
    NON_PUNISHMENT_NOTIFIED = "non_punishment.notified"
    RISK_ASSESSED = "risk.assessed"
    RETURN_RECORDED = "return.recorded"
    REINTEGRATION_FOLLOWED_UP = "return.reintegration_followed_up"
    RESIDENCE_PERMIT_RECORDED = "residence_permit.recorded"
    # The transnational exchange (referral/services/transnational.py)
    HANDOVER_SENT = "handover.sent"
    HANDOVER_RECEIVED = "handover.received"
    HANDOVER_REFUSED = "handover.refused"
    HANDOVER_ACKNOWLEDGED = "handover.acknowledged"
    HANDOVER_ANSWERED = "handover.answered"
    HANDOVER_DOWNLOADED = "handover.downloaded"
    # Oversight
    AUDIT_EXPORTED = "audit.exported"
    STATISTICS_EXPORTED = "statistics.exported"
    CASE_LEVEL_EXPORTED = "statistics.case_level_exported"
    KEY_ROTATED = "vault.key_rotated"


# `Event.values` builds a list on each read; `record()` runs on every write.
_EVENT_CODES = frozenset(Event.values)

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


def event_mac(prev_hash: str, event: AuditEvent, key: bytes) -> str:
    """HMAC-SHA-256 over a canonical JSON of the event (with its key id) and
    its predecessor's MAC."""
    body = {name: _canonical(getattr(event, name)) for name in _HASHED_FIELDS}
    body["key_id"] = event.key_id
    body["prev_hash"] = prev_hash
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, encoded.encode(), hashlib.sha256).hexdigest()


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
    if action not in _EVENT_CODES:
        raise ValueError("unknown audit event code")
    keyset = audit_keys.keys()
    with transaction.atomic(savepoint=False):
        prev_hash = _locked_head_mac()
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
            prev_hash=prev_hash,
            key_id=keyset.active,
        )
        # Round-trip through JSON so the hash sees what the database stores.
        event.extra = json.loads(json.dumps(event.extra, default=str))
        event.hash = event_mac(prev_hash, event, keyset.key(keyset.active))
        _append(event)
    return event


def _append(event: AuditEvent) -> None:
    """Insert the event and move the chain's head to it, under the head's
    lock. On PostgreSQL that is one statement (an INSERT in a WITH clause):
    a round trip fewer on every audited write. Elsewhere (the SQLite demo),
    two through the ORM."""
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(
            last_id=event.id, last_hash=event.hash
        )
        return
    fields, sql = _append_statement()
    values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, event.hash])
        event.id = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


@functools.cache
def _append_statement() -> tuple[list[models.Field], str]:
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # Names from the models only; every value is a parameter.
    sql = (
        f"WITH event AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id) "
        f"UPDATE {quote(AuditChainHead._meta.db_table)} "
        "SET last_id = (SELECT id FROM event), last_hash = %s WHERE id = 1 "
        "RETURNING last_id"
    )
    return fields, sql


def lock_chain() -> None:
    """Take the chain's lock now, for callers that must take it before other
    row locks (see referral.services.deadlines_sweep)."""
    _locked_head()


def _locked_head_mac() -> str:
    """Lock the chain's head and read its MAC: on PostgreSQL one plain
    statement (every audited write takes it), elsewhere through the ORM."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditChainHead._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_hash FROM {table} WHERE id = 1 FOR UPDATE")  # noqa: S608 - a model's table
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    return _locked_head().last_hash


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
    keyset = audit_keys.keys()
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
        if event.key_id not in keyset.keys:
            yield ChainBreak(event.id, "sealed with a key the key file does not hold")
            return
        expected = event_mac(prev, event, keyset.key(event.key_id))
        if not hmac.compare_digest(expected, event.hash):
            yield ChainBreak(event.id, "content does not match its MAC: altered")
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


def anchor() -> dict:
    """The chain's head as a record to keep outside the database: the last
    event's id (sequence), its MAC and the time it was read."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return {
        "sequence": head.last_id if head else 0,
        "mac": head.last_hash if head else GENESIS,
        "at": timezone.now().isoformat(timespec="seconds"),
    }


def parse_anchors(text: str) -> list[dict]:
    """Anchors written by `audit_anchor`, one JSON object a line; ValueError
    (naming the line) for anything else."""
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            sequence, mac = int(item["sequence"]), str(item["mac"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"line {number} is not an audit anchor") from None
        anchors.append({"sequence": sequence, "mac": mac, "at": item.get("at", "")})
    return anchors


def verify_anchors(anchors: list[dict]) -> Iterator[ChainBreak]:
    """Every anchored head must still be an event of the chain, with the MAC
    it had; and the chain's head must not be behind any anchor. (Run after
    `verify()`: a chain that verifies and contains the anchored event reaches
    it.)"""
    head = AuditChainHead.objects.filter(pk=1).first()
    head_id = head.last_id if head else 0
    for item in sorted(anchors, key=lambda a: a["sequence"]):
        sequence = item["sequence"]
        if sequence == 0:
            continue
        mac = AuditEvent.objects.filter(pk=sequence).values_list("hash", flat=True)
        found = mac.first()
        if found is None or head_id < sequence:
            yield ChainBreak(
                sequence,
                f"the events no longer reach the head anchored at {item['at']}: "
                "events were removed",
            )
            return
        if not hmac.compare_digest(found, item["mac"]):
            yield ChainBreak(
                sequence, f"the event differs from the head anchored at {item['at']}"
            )
            return
