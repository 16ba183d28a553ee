"""Finding a case: by case number, state, deadline, or a person's name
through the blind index. Every search is an audited lookup."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden
from nrm import audit
from nrm.audit import Event
from nrm.models import User
from nrm.roles import Capability as C
from referral import persons, policy, selectors
from referral.deadlines import end_of_day
from referral.models import Case, Deadline


@transaction.atomic
def case_search(
    *,
    actor: User,
    reference: str = "",
    state: str = "",
    due_by: date | None = None,
    family_name: str = "",
    given_names: str = "",
    date_of_birth: date | None = None,
) -> QuerySet[Case]:
    """The visible cases matching every criterion given. A name is matched
    only exactly, through the blind index of the normalised name and date of
    birth (no plaintext is searched, no substring); the audit event names the
    criteria used and the number of matches, never a value searched for."""
    memberships = policy.memberships_with(actor, C.CASE_VIEW)
    if not memberships:
        raise Forbidden(_("Your role does not show cases."), code="no_case_list")
    cases = selectors.case_list(actor, state=state or None)
    criteria = []
    if reference:
        criteria.append("reference")
        cases = cases.filter(id__istartswith=reference.strip().lower())
    if state:
        criteria.append("state")
    if due_by is not None:
        criteria.append("deadline")
        open_deadlines = Deadline.objects.filter(
            due_at__lte=end_of_day(due_by),
            met_at__isnull=True,
            cancelled_at__isnull=True,
        )
        cases = cases.filter(pk__in=open_deadlines.values("case_id"))
    if family_name or given_names:
        criteria.append("name")
        matches = persons.possible_duplicates(
            family_name=family_name,
            given_names=given_names,
            date_of_birth=date_of_birth,
        )
        cases = cases.filter(person_id__in=matches)
    count = cases.count()
    membership = memberships[0]
    audit.record(
        Event.CASES_SEARCHED,
        actor=actor,
        organisation=membership.organisation,
        role=membership.role,
        object_type="case",
        reason_code=",".join(criteria),
        extra={"criteria": criteria, "matches": count},
    )
    return cases
