"""The statistics' one write: the audit event of every statistics response."""

from __future__ import annotations

from django.db import transaction

from nrm import audit
from nrm.audit import Event
from nrm.models import AuditEvent, Membership, User


@transaction.atomic
def statistics_exported(
    *,
    actor: User,
    membership: Membership,
    table: str,
    period: str,
    format: str,
    scope: str,
    case_level: bool = False,
    extra: dict | None = None,
) -> AuditEvent:
    """Record who read which statistics, for which period, in which format
    (ids and codes only). Every response is recorded, JSON, CSV or page."""
    return audit.record(
        Event.CASE_LEVEL_EXPORTED if case_level else Event.STATISTICS_EXPORTED,
        actor=actor,
        organisation=membership.organisation,
        role=membership.role,
        object_type="statistics",
        object_id=table,
        reason_code=format,
        extra={
            "table": table,
            "period": period,
            "format": format,
            "scope": scope,
            **(extra or {}),
        },
    )
