"""Personal data: the audited read and crypto-shredding."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from nrm.audit import Event
from nrm.models import User
from nrm.roles import Capability as C
from referral import persons, policy
from referral.models import Case
from referral.services.common import event

PERSON_FIELDS = (
    "given_names",
    "family_name",
    "aliases",
    "date_of_birth",
    "place_of_birth",
    "contact_details",
    "identity_documents",
    "notes",
)


@transaction.atomic
def person_read(
    *, actor: User, case: Case, fields: tuple[str, ...] = PERSON_FIELDS
) -> dict:
    """Open the person's personal data for a user the policy allows; the read
    is an audited event naming the fields."""
    membership = policy.require(actor, C.PERSON_READ, case)
    person = case.person
    if person.is_erased:
        return {"erased": True}
    values = {name: getattr(person, name) for name in fields}
    event(
        Event.PERSON_READ,
        actor=actor,
        membership=membership,
        case=case,
        obj=person,
        extra={"fields": list(fields)},
    )
    return values


@transaction.atomic
def person_erase(*, actor: User, case_id: UUID) -> Case:
    """Crypto-shredding: the person's data key is destroyed."""
    case = policy.get_visible_case(actor, case_id, for_update=True)
    membership = policy.require_at_registering_organisation(actor, C.PERSON_ERASE, case)
    if case.person.is_erased:
        raise Conflict(
            _("This person's data were already erased."), code="already_erased"
        )
    persons.person_erase(person_id=case.person_id)
    event(
        Event.PERSON_ERASED,
        actor=actor,
        membership=membership,
        case=case,
        obj=case.person,
    )
    return case
