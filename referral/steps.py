"""The steps of the workflow, each declared once, on its service.

A step is one write on an existing case that a user chooses: record a
screening, send a referral, decide, suspend, close... Its service body is
decorated with `@step(...)`, and that declaration is the only description
of the step anywhere:

- `fires`: the graph transitions (the `@transition` methods of `Case`) it
  may fire; by default the step is possible when one of them can fire;
- `rule` and `capability`: which access rule of `referral.policy` it needs
  (`policy.Rule`: the organisations holding the case, the registering
  organisation, child protection, the deciding authority); policy.py
  evaluates the rule, the declaration only names it;
- `guards`: checks over the locked case alone (open, child, adult, graph),
  run before the body and, without a lock, to list the next steps;
- `input`: the serializer whose fields are the body's keyword arguments,
  name for name (checked when the declaration is made: no rename glue);
- `output`: the serializer of what the body returns (None: the case);
- `event` and `notifications`: the audit event and outbox kinds it writes,
  beside the transition event the tail helper writes; `milestones`: the
  step can reach a statistics milestone, which the execution records;
- page metadata: `label`, `help_text`, `grave` (ends or holds the case: shown
  apart, and its page asks for a confirmation), `page` (a dedicated page
  with a richer form than the generic step page), `recipients` (the service
  kind a recipient named by the step must offer).

The API (one route per step: `POST /cases/{id}/transitions/{name}/`), the
"next steps" list, the pages and the diagram read `STEPS`.

Why a decorator on the service rather than a table elsewhere: the body and
its contract sit together, so a new step is one declaration, its body, its
test and its translations, and the body can trust what the declaration
promised. Executed once: `Step.execute` opens the transaction, finds, locks
and visibility-checks the case in one query, asks the policy the declared
rule, runs the guards and the body, and hands back the case with the body's
result, from which the API and the pages build their response. The public
service (`services.case_close(actor=..., case_id=..., reason=...)`) is the
same execution returning the body's result.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any
from uuid import UUID

from django.db import transaction
from rest_framework import serializers as drf

from core import clock
from core.errors import Conflict, Forbidden
from nrm.models import Membership, User
from referral import policy, workflow
from referral.models import Case, Referral
from referral.statistics import milestones as statistics_milestones

# What a step is taken on: a case, or a referral (its recipient's answer,
# its sender's withdrawal...). The public service takes `<subject>_id`.
CASE, REFERRAL = "case", "referral"


@dataclass(frozen=True)
class Context:
    """What a step's body is given: the locked, visible case (and referral)
    and who acts."""

    actor: User
    case: Case
    membership: Membership
    now: datetime
    step: Step
    # The referral the step is taken on; for the deciding authority's rule,
    # the accepted identification referral.
    referral: Referral | None = None


@dataclass(frozen=True)
class Outcome:
    case: Case
    result: Any


def requires_graph(*transitions: str) -> Callable[[Case | Referral], None]:
    """A guard: one of these graph transitions can fire from the state of the
    case (or referral) the step is taken on."""

    def guard(subject: Case | Referral) -> None:
        workflow.require_fsm(subject, *transitions)

    guard.__name__ = f"requires_graph({', '.join(transitions)})"
    return guard


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    capability: str
    input: type[drf.Serializer]
    body: Callable[..., Any]
    subject: str = CASE
    rule: str = policy.Rule.CASE
    fires: tuple[str, ...] = ()
    guards: tuple[Callable[[Case | Referral], None], ...] = ()
    output: type[drf.Serializer] | None = None
    event: str = ""
    notifications: tuple[str, ...] = ()
    help_text: str = ""
    grave: bool = False
    page: str = ""
    recipients: str = ""
    # The step can reach a statistics milestone: the executor records what
    # the case reached (referral.statistics.milestones), in its transaction.
    milestones: bool = False
    service: Callable[..., Any] = field(default=None, compare=False)

    def execute(self, *, actor: User, subject_id: UUID, **inputs) -> Outcome:
        with transaction.atomic():
            if self.subject == REFERRAL:
                referral, case = _lock_referral(actor, subject_id)
                subject = referral
            else:
                case = policy.get_visible_case(actor, subject_id, for_update=True)
                subject = referral = None
            access = policy.require_rule(
                actor, self.rule, self.capability, subject or case
            )
            for guard in self.guards:
                guard(subject or case)
            context = Context(
                actor=actor,
                case=case,
                membership=access.membership,
                now=clock.now(),
                step=self,
                referral=access.referral or referral,
            )
            result = self.body(context, **inputs)
            if self.milestones:
                statistics_milestones.sync(case.pk)
        return Outcome(case=case, result=result)

    def possible(self, subject: Case | Referral) -> bool:
        """The guards pass on the case (or referral) as it is (no lock: a hint
        for lists)."""
        try:
            for guard in self.guards:
                guard(subject)
        except Conflict:
            return False
        return True

    def blocker(self, subject: Case | Referral) -> Conflict | None:
        """The refusal of the first guard that fails on the case (or referral)
        as it is, or None (no lock: a hint for pages)."""
        try:
            for guard in self.guards:
                guard(subject)
        except Conflict as refusal:
            return refusal
        return None

    def allowed(self, user: User, subject: Case | Referral) -> bool:
        try:
            policy.require_rule(user, self.rule, self.capability, subject)
        except Forbidden:
            return False
        return True


def _lock_referral(actor: User, referral_id: UUID) -> tuple[Referral, Case]:
    """Find the referral through the policy, then lock its case and the
    referral (in that order everywhere)."""
    visible = policy.get_visible_referral(actor, referral_id)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .get(pk=visible.case_id)
    )
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("from_organisation", "to_organisation")
        .get(pk=visible.pk)
    )
    return referral, case


# The declared steps by name: those taken on a case, and those taken on a
# referral (routes and pages of their own).
STEPS: dict[str, Step] = {}
REFERRAL_STEPS: dict[str, Step] = {}


def step(name: str, **declaration) -> Callable[[Callable], Callable]:
    """Declare the decorated body a step of the workflow; returns the public
    service, `service(*, actor, case_id, **inputs)` (`referral_id` for a step
    on a referral), which executes it."""

    def register(body: Callable) -> Callable:
        subject = declaration.get("subject", CASE)
        registry = REFERRAL_STEPS if subject == REFERRAL else STEPS
        if name in registry:
            raise ValueError(f"step {name!r} is declared twice")
        fires = tuple(declaration.pop("fires", ()))
        guards = declaration.pop("guards", None)
        if guards is None:
            guards = (requires_graph(*fires),) if fires else ()
        subject_id = f"{subject}_id"

        @wraps(body)
        def service(*, actor: User, **arguments):
            subject_value = arguments.pop(subject_id)
            outcome = declared.execute(
                actor=actor, subject_id=subject_value, **arguments
            )
            return outcome.result

        service.__signature__ = _service_signature(body, subject_id)
        declared = Step(
            name=name,
            body=body,
            fires=fires,
            guards=tuple(guards),
            service=service,
            **declaration,
        )
        _check_input(declared)
        registry[name] = declared
        return service

    return register


def _keyword_arguments(body: Callable) -> dict[str, inspect.Parameter]:
    parameters = list(inspect.signature(body).parameters.values())
    return {p.name: p for p in parameters[1:]}


def _check_input(declared: Step) -> None:
    """The input serializer's fields are the body's keyword arguments, name
    for name, and a field the serializer may omit has a default."""
    arguments = _keyword_arguments(declared.body)
    fields = declared.input().fields
    if set(arguments) != set(fields):
        raise TypeError(
            f"step {declared.name!r}: input fields {sorted(fields)} are not the "
            f"service's keyword arguments {sorted(arguments)}"
        )
    for name, serializer_field in fields.items():
        optional = not serializer_field.required
        if optional and arguments[name].default is inspect.Parameter.empty:
            raise TypeError(f"step {declared.name!r}: {name} needs a default")


def _service_signature(body: Callable, subject_id: str) -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [
            inspect.Parameter("actor", keyword, annotation=User),
            inspect.Parameter(subject_id, keyword, annotation=UUID),
            *_keyword_arguments(body).values(),
        ],
        return_annotation=inspect.signature(body).return_annotation,
    )


def available(user: User, case: Case) -> list[Step]:
    """The steps this user may take on this case now, as far as can be told
    without input; the execution checks everything again under the lock."""
    return [s for s in STEPS.values() if s.possible(case) and s.allowed(user, case)]


@dataclass(frozen=True)
class Blocked:
    """A step the user may take but whose guard refuses it now: the refusal's
    message, and the step that would lift it (None when there is none)."""

    step: Step
    reason: str
    unblocked_by: Step | None


@dataclass(frozen=True)
class Guidance:
    """What the case page offers: the steps open now, the one the workflow
    recommends (with why), and the steps held back by a guard that another
    step lifts."""

    available: list[Step]
    recommended: Step | None
    reason: str
    blocked: list[Blocked]


def guidance(user: User, case: Case) -> Guidance:
    """The steps of `available`, with the workflow's advice and the blocked
    steps, all from the same guards and access rules as the execution."""
    open_now, blocked = [], []
    for candidate in STEPS.values():
        if not candidate.allowed(user, case):
            continue
        refusal = candidate.blocker(case)
        if refusal is None:
            open_now.append(candidate)
            continue
        lifting = workflow.UNBLOCKED_BY.get(refusal.code)
        if lifting is None or lifting not in STEPS:
            continue  # not this case's step now (wrong state, closed...)
        blocked.append(
            Blocked(
                step=candidate,
                reason=str(refusal.message),
                unblocked_by=_first_open_lifter(user, case, STEPS[lifting]),
            )
        )
    advice = workflow.advice(case)
    recommended = None
    if advice is not None:
        recommended = next((s for s in open_now if s.name == advice.step), None)
    return Guidance(
        available=open_now,
        recommended=recommended,
        reason=str(advice.reason) if recommended else "",
        blocked=blocked,
    )


def lifter_of(user: User, case: Case, refusal: Conflict) -> Step | None:
    """The step this user can take now on the way to lifting a guard's
    refusal (`workflow.UNBLOCKED_BY`), or None."""
    lifting = workflow.UNBLOCKED_BY.get(refusal.code)
    if lifting is None or lifting not in STEPS:
        return None
    return _first_open_lifter(user, case, STEPS[lifting])


def _first_open_lifter(user: User, case: Case, lifter: Step) -> Step | None:
    """The step that lifts a refusal, or, when that step is itself blocked
    (consent needs the rights information first), the one that lifts its
    refusal in turn: the link leads to a step the user can take now."""
    seen = set()
    while lifter.name not in seen:
        seen.add(lifter.name)
        if not lifter.allowed(user, case):
            return None
        refusal = lifter.blocker(case)
        if refusal is None:
            return lifter if lifter.possible(case) else None
        lifting = workflow.UNBLOCKED_BY.get(refusal.code)
        if lifting is None or lifting not in STEPS:
            return None
        lifter = STEPS[lifting]
    return None


def describe_fields(serializer_class: type[drf.Serializer]) -> list[dict]:
    """The input a step needs, for clients and forms."""
    described = []
    for name, serializer_field in serializer_class().fields.items():
        entry = {
            "name": name,
            "type": type(serializer_field).__name__.removesuffix("Field").lower(),
            "required": serializer_field.required,
        }
        if isinstance(serializer_field, drf.ChoiceField):
            entry["choices"] = list(serializer_field.choices)
        described.append(entry)
    return described
