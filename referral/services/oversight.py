"""Oversight: the organisation's audit trail and a data subject's access
request, each itself an audited event."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DataErased, InvalidInput
from nrm import audit
from nrm.audit import Event
from nrm.models import User
from nrm.roles import Capability as C
from referral import policy, selectors
from referral.models import Case, CaseReturn
from referral.services.persons import PERSON_FIELDS


@transaction.atomic
def audit_trail_read(
    *,
    actor: User,
    organisation_id: object = None,
    case_id: UUID | None = None,
    user_id: UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    export: bool = False,
):
    """A supervisor's view of the organisation's trail; an export of it is
    itself audited."""
    membership = policy.require_capability(actor, C.AUDIT_READ, organisation_id)
    if action and action not in Event.values:
        # Only known codes: nothing a reader types reaches the trail.
        raise InvalidInput(
            _("Unknown action."),
            code="unknown_action",
            detail={"action": ["Unknown action."]},
        )
    queryset = selectors.audit_events_for(
        actor,
        membership.organisation_id,
        case_id=case_id,
        user_id=user_id,
        action=action,
        since=since,
        until=until,
    )
    if export:
        audit.record(
            Event.AUDIT_EXPORTED,
            actor=actor,
            organisation=membership.organisation,
            role=membership.role,
            object_type="organisation",
            object_id=membership.organisation_id,
            extra={
                "case": str(case_id or ""),
                "user": str(user_id or ""),
                "action": action or "",
                "format": "csv",
            },
        )
    return membership, queryset


@transaction.atomic
def subject_access_export(*, actor: User, case_id: UUID) -> dict:
    """Everything held about the data subject of a case, decrypted, for an
    access request (GDPR art. 15), by a supervisor of the registering
    organisation. The export is an audited event."""
    case = policy.get_visible_case(actor, case_id, for_update=True)
    membership = policy.require_at_registering_organisation(
        actor, C.SUBJECT_ACCESS, case
    )
    person = case.person
    if person.is_erased:
        raise DataErased(_("This person's data were erased."), code="erased")
    document: dict = {
        "generated_at": timezone.now().isoformat(),
        "person": {
            name: (value.isoformat() if isinstance(value, date) else value)
            for name in PERSON_FIELDS
            for value in [getattr(person, name)]
        }
        | {
            "sex": person.sex,
            "age_group": person.age_group,
            "citizenship": person.citizenship,
            "is_child": person.is_child,
        },
        "cases": [],
    }
    for each in Case.objects.filter(person=person).select_related("organisation"):
        document["cases"].append(_case_document(each))
    audit.record(
        Event.SUBJECT_ACCESS_EXPORTED,
        actor=actor,
        organisation=membership.organisation,
        role=membership.role,
        object_type="person",
        object_id=person.pk,
        case_id=case.pk,
    )
    return document


def _case_document(case: Case) -> dict:
    def when(value):
        return value.isoformat() if value else None

    return {
        "id": str(case.pk),
        "registered_by_organisation": case.organisation.name,
        "registered_at": when(case.registered_at),
        "state": case.state,
        "reception_stage": case.reception_stage,
        "asylum_status": case.asylum_status,
        "exploitation_forms": sorted(case.forms.values_list("form", flat=True)),
        "screenings": [
            {
                "at": when(x.screened_at),
                "catalogue": x.catalogue_id,
                "indicators": x.indicator_codes,
                "outcome": x.outcome,
                "notes": x.notes,
            }
            for x in case.screenings.all()
        ],
        "consents": [
            {
                "at": when(x.recorded_at),
                "organisation": x.to_organisation.name,
                "purpose": x.purpose,
                "given": x.given,
                "given_by": x.given_by,
                "withdrawn_at": when(x.withdrawn_at),
                "notes": x.notes,
            }
            for x in case.consents.select_related("to_organisation")
        ],
        "referrals": [
            {
                "at": when(x.sent_at),
                "from": x.from_organisation.name,
                "to": x.to_organisation.name,
                "purpose": x.purpose,
                "state": x.state,
            }
            for x in case.referrals.select_related(
                "from_organisation", "to_organisation"
            )
        ],
        "decisions": [
            {
                "at": when(x.decided_at),
                "kind": x.kind,
                "positive": x.positive,
                "by_organisation": x.organisation.name,
                "reasons": x.reasons,
            }
            for x in case.decisions.select_related("organisation")
        ],
        "best_interests_assessments": [
            {
                "at": when(x.assessed_at),
                "recommendation": x.recommendation,
                "summary": x.summary,
            }
            for x in case.best_interests_assessments.all()
        ],
        "person_requests": [
            {
                "at": when(x.recorded_at),
                "kind": x.kind,
                "language": x.language,
                "interpreter_present": x.interpreter_present,
                "text": x.text,
            }
            for x in case.person_requests.all()
        ],
        "non_punishment_notices": [
            {
                "at": when(x.recorded_at),
                "notified": x.notified_organisation.name,
                "notified_on": x.notified_on.isoformat(),
            }
            for x in case.non_punishment_notices.select_related("notified_organisation")
        ],
        "risk_assessments": [
            {
                "at": when(x.assessed_at),
                "retrafficking_risk": x.retrafficking_risk,
                "return_risk": x.return_risk,
                "reasons": x.reasons,
            }
            for x in case.risk_assessments.all()
        ],
        "return": _return_document(case),
        "residence_permits": [
            {
                "at": when(x.recorded_at),
                "status": x.status,
                "status_on": x.status_on.isoformat(),
            }
            for x in case.residence_permits.all()
        ],
        "history": [
            {
                "at": when(e.occurred_at),
                "action": e.action,
                "organisation": e.organisation.name if e.organisation else None,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "reason_code": e.reason_code,
            }
            for e in selectors.case_history(case)
        ],
    }


def _return_document(case: Case) -> dict | None:
    record = (
        CaseReturn.objects.filter(case=case)
        .select_related("partner_organisation")
        .first()
    )
    if record is None:
        return None
    partner = record.partner_organisation
    return {
        "at": record.recorded_at.isoformat(),
        "kind": record.kind,
        "partner_organisation": partner.name if partner else None,
        "partner_name": record.partner_name,
    }
