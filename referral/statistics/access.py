"""Whose statistics a request may read, through the access policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from nrm.models import Membership, User
from nrm.roles import Capability
from referral import policy


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole mechanism, or the cases one organisation
    registered (a supervisor's own figures)."""

    organisation_id: UUID | None = None

    @property
    def national(self) -> bool:
        return self.organisation_id is None

    @property
    def code(self) -> str:
        return "national" if self.national else "organisation"


SCOPES = ("national", "organisation")


def resolve_scope(user: User, params: Mapping[str, str]) -> tuple[Membership, Scope]:
    """National figures for a user who may read them (the rapporteur); an
    organisation's own figures for a supervisor (the cases it registered).
    `scope=national|organisation` chooses when a user may read both;
    `organisation=<id>` names the organisation of a user who acts for
    several. Forbidden (403) for everybody else."""
    wanted = params.get("scope") or ""
    if wanted and wanted not in SCOPES:
        raise InvalidInput(
            _("The scope is 'national' or 'organisation'."),
            detail={"scope": [_("Unknown scope.")]},
        )
    national = wanted == "national" or (
        not wanted and policy.may_globally(user, Capability.STATISTICS_NATIONAL)
    )
    membership = policy.require_statistics(
        user, national=national, organisation_id=params.get("organisation")
    )
    if national:
        return membership, Scope()
    return membership, Scope(organisation_id=membership.organisation_id)


def require_case_level(user: User, params: Mapping[str, str]) -> Membership:
    return policy.require_statistics(
        user, national=True, case_level=True, organisation_id=params.get("organisation")
    )
