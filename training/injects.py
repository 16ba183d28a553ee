"""Inject kinds: what a scenario can make happen, one registry.

Each kind names the fields a pack's inject of that kind needs and how it
fires, through the real services acting as a trainee account of the named
agency (so the audit trail says who). A kind the workflow cannot play yet is
registered without a body: packs may use it (they are checked all the
same), and firing it is refused with a message saying why. Adding a kind is
one `register(Kind(...))` call, here or in the app that brings the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from nrm.models import User
from nrm.roles import Capability, role_may


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    needs: tuple[str, ...]
    # fire(exercise, spec, pack) -> outcome code; None: not playable yet.
    fire: Callable[..., str] | None = None
    unavailable: Any = ""


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def _account(exercise, agency_key: str, capability: str) -> User:
    """The first trainee account of the agency whose role may do this."""
    for account in exercise.accounts.filter(agency__key=agency_key).select_related(
        "user"
    ):
        if role_may(account.role, capability):
            return account.user
    raise Conflict(
        _("No trainee of this agency may take this step."),
        code="inject_no_account",
        detail={"agency": agency_key, "capability": str(capability)},
    )


def _persona_case(exercise, key: str):
    persona = exercise.personas.filter(key=key).first()
    if persona is None or persona.case_id is None:
        raise Conflict(
            _("This persona has not arrived yet: fire their arrival first."),
            code="inject_persona_absent",
            detail={"persona": key},
        )
    return persona


def _arrival(exercise, spec: dict, pack) -> str:
    """A group arrives at reception: each persona is registered (their case
    opened) by a reception officer of the agency."""
    from referral import services

    actor = _account(exercise, spec["agency"], Capability.PERSON_REGISTER)
    for key in spec["personas"]:
        persona = exercise.personas.get(key=key)
        if persona.case_id is not None:
            continue
        p = pack.persona(key)
        born = p.get("date_of_birth")
        registration = services.case_register(
            actor=actor,
            given_names=p["given_names"],
            family_name=p["family_name"],
            date_of_birth=date.fromisoformat(born) if born else None,
            sex=p["sex"],
            age_group=p["age_group"],
            citizenship=p["citizenship"],
            is_child=p["is_child"],
            reception_stage="registration_screening",
            language=p["language"],
            exploitation_forms=p.get("exploitation_forms", []),
            notes="Training persona (synthetic).",
        )
        persona.case = registration.case
        persona.save(update_fields=["case"])
    return "registered"


def _missing(exercise, spec: dict, pack) -> str:
    """A person goes missing: the agency holding the case loses contact."""
    from referral import services

    persona = _persona_case(exercise, spec["persona"])
    actor = _account(exercise, spec["agency"], Capability.CASE_ASSIST)
    reason = (
        "child_missing" if pack.persona(spec["persona"])["is_child"] else "contact_lost"
    )
    services.case_suspend(actor=actor, case_id=persona.case_id, reason=reason)
    return "suspended"


def _declined(exercise, spec: dict, pack) -> str:
    """A referral is declined: the agency declines the persona's pending
    referral to it."""
    from referral import services
    from referral.models import Referral, ReferralState

    persona = _persona_case(exercise, spec["persona"])
    agency = exercise.agencies.get(key=spec["agency"])
    referral = Referral.objects.filter(
        case_id=persona.case_id,
        to_organisation_id=agency.organisation_id,
        state=ReferralState.SENT,
    ).first()
    if referral is None:
        raise Conflict(
            _(
                "There is no pending referral of this persona to this agency to decline."
            ),
            code="inject_no_referral",
            detail={"persona": spec["persona"], "agency": spec["agency"]},
        )
    actor = _account(exercise, spec["agency"], Capability.REFERRAL_ANSWER)
    services.referral_decline(
        actor=actor, referral_id=referral.pk, reason="no_capacity"
    )
    return "declined"


register(
    Kind("arrival", _("A group arrives at reception"), ("agency", "personas"), _arrival)
)
register(
    Kind("person_missing", _("A person goes missing"), ("agency", "persona"), _missing)
)
register(
    Kind(
        "referral_declined",
        _("A referral is declined"),
        ("agency", "persona"),
        _declined,
    )
)
# Not playable until the workflow has the step: checked in packs, refused
# when fired.
register(
    Kind(
        "handover_received",
        _("A foreign mechanism sends a hand-over"),
        ("persona",),
        unavailable=_(
            "This mechanism has no transnational inbox yet: a hand-over cannot be played. Play it on paper."
        ),
    )
)
register(
    Kind(
        "age_contested",
        _("A child's age is contested"),
        ("persona",),
        unavailable=_(
            "This mechanism has no age-assessment step yet: a contested age cannot be played. Play it on paper."
        ),
    )
)
