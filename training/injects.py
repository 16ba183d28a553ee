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

from core import clock as workflow_clock
from core.errors import ApplicationError, Conflict
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
    # Called with a refusal after the inject's transaction rolled back (what
    # the real service records of a refusal, such as the inbox's audit).
    on_refusal: Callable[[ApplicationError], None] | None = None


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


def _handover(exercise, spec: dict, pack) -> str:
    """A foreign mechanism sends a hand-over of the persona: the exercise's
    partner mechanism (training/exchange.py) seals a package of the persona
    to us and the real inbox receives it, opening an inbound case at the
    transnational contact point (the inject's agency, set as the profile's
    contact point when the exercise starts). The persona's arrival, if they
    have not arrived yet; a second case at the contact point if they have
    (as in life: the contact point finds and links them)."""
    from referral import services
    from training import exchange

    persona = exercise.personas.filter(key=spec["persona"]).first()
    if persona is None:
        raise Conflict(
            _("This persona is not part of the exercise."),
            code="inject_persona_unknown",
            detail={"persona": spec["persona"]},
        )
    if persona.handover_case_id is not None:
        raise Conflict(
            _("A hand-over of this persona was received already."),
            code="inject_handover_received",
            detail={"persona": spec["persona"]},
        )
    p = pack.persona(spec["persona"])
    partner = exchange.exercise_partner(exercise, p["citizenship"])
    sealed, package_id = exchange.persona_package(partner, p, spec["persona"])
    try:
        services.inbox_receive(sealed=sealed)
    except ApplicationError as refusal:
        # The inbox's own refusal: audited as for a real package once the
        # inject's transaction has rolled back (_handover_refused).
        refusal.inbox_refusal = True
        raise
    case = exchange.received_case(partner, package_id)
    persona.handover_case = case
    if persona.case_id is None:
        persona.case = case
    persona.save(update_fields=["handover_case", "case"])
    return "received"


def _handover_refused(refusal: ApplicationError) -> None:
    from referral import services

    if getattr(refusal, "inbox_refusal", False):
        services.inbox_refusal_record(refusal)


def _age_contested(exercise, spec: dict, pack) -> str:
    """The persona's age is contested: the review of a presumed child's age
    is raised on their case, by the same code the majority sweep uses (a
    deadline for the registering organisation, audited, and a notification
    to it and to the guardian), for the competent authority or child
    protection holding the case to answer with an age assessment."""
    from referral import services
    from referral.models import OPEN_STATES, Case, Deadline, DeadlineKind

    persona = _persona_case(exercise, spec["persona"])
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .get(pk=persona.case_id)
    )
    if not case.person.is_child or case.state not in OPEN_STATES:
        raise Conflict(
            _(
                "This persona is not presumed a child on an open case: there is no age to contest."
            ),
            code="inject_not_child",
            detail={"persona": spec["persona"]},
        )
    if Deadline.objects.filter(
        case=case,
        kind=DeadlineKind.MAJORITY_REVIEW,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).exists():
        raise Conflict(
            _("A review of this persona's age is open already."),
            code="inject_age_review_open",
            detail={"persona": spec["persona"]},
        )
    services.majority_review_raise(
        case, now=workflow_clock.now(), reason_code="age_contested"
    )
    return "age_review_raised"


register(
    Kind(
        "handover_received",
        _("A foreign mechanism sends a hand-over"),
        ("agency", "persona"),
        _handover,
        on_refusal=_handover_refused,
    )
)
register(
    Kind(
        "age_contested",
        _("A child's age is contested"),
        ("persona",),
        _age_contested,
    )
)
