"""The steps a user can take on a case, by name: what the generic
`POST /cases/{id}/transitions/{name}/` runs, and what
`GET /cases/{id}/transitions/` lists for the current user.

Each step names the capability it needs, the input it takes, the service it
calls and a cheap precondition over the case (the graph, open/child). The
full guards run in the service, under the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from rest_framework import serializers as drf

from nrm.errors import Forbidden
from nrm.models import User
from nrm.roles import Capability
from referral import policy, services
from referral import serializers as s
from referral.models import OPEN_STATES, Case, DecisionKind

C = Capability


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    capability: str
    serializer: type[drf.Serializer]
    run: Callable[..., object]
    precondition: Callable[[Case], bool]
    decision: bool = False  # answered by policy.require_decision_maker
    # Beyond the role table: "registering" (the registering organisation
    # only), "child_protection" (see policy.require_child_protection).
    scope: str = ""


def _fsm(method: str) -> Callable[[Case], bool]:
    return lambda case: can_proceed(getattr(case, method))


def _open(case: Case) -> bool:
    return case.state in OPEN_STATES


def _open_child(case: Case) -> bool:
    return _open(case) and case.person.is_child


def _open_adult(case: Case) -> bool:
    return _open(case) and not case.person.is_child


def _decide(kind: str):
    def run(*, actor, case_id, **data):
        return services.decision_take(actor=actor, case_id=case_id, kind=kind, **data)

    return run


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "screen", _("Record a screening"), C.CASE_SCREEN,
            s.ScreeningCreateSerializer, services.screening_record,
            lambda case: (
                _fsm("record_screening")(case) or _fsm("record_later_screening")(case)
            ),
        ),
        Action(
            "flag-for-referral", _("Refer on professional judgement"),
            C.REFERRAL_SEND, s.FlagSerializer, services.case_flag_for_referral,
            _fsm("flag_for_referral"),
        ),
        Action(
            "record-consent", _("Record consent"), C.CONSENT_RECORD,
            s.ConsentCreateSerializer,
            lambda *, actor, case_id, to_organisation, **data: services.consent_record(
                actor=actor, case_id=case_id, to_organisation_id=to_organisation, **data
            ),
            _open,
        ),
        Action(
            "send-referral", _("Send a referral"), C.REFERRAL_SEND,
            s.ReferralCreateSerializer,
            lambda *, actor, case_id, to_organisation, **data: services.referral_send(
                actor=actor, case_id=case_id, to_organisation_id=to_organisation, **data
            ),
            _open,
        ),
        Action(
            "notify-anonymously", _("Notify anonymously"), C.REFERRAL_SEND,
            s.AnonymousNotifySerializer,
            lambda *, actor, case_id, to_organisation: (
                services.anonymous_notification_send(
                    actor=actor, case_id=case_id, to_organisation_id=to_organisation
                )
            ),
            _open_adult,
        ),
        Action(
            "appoint-guardian", _("Record a guardian's appointment"),
            C.GUARDIAN_APPOINT, s.GuardianAppointSerializer,
            lambda *, actor, case_id, guardian: services.guardian_appoint(
                actor=actor, case_id=case_id, guardian_id=guardian
            ),
            _open_child, scope="child_protection",
        ),
        Action(
            "record-best-interests", _("Record a best-interests assessment"),
            C.BEST_INTERESTS_ASSESS, s.BestInterestsSerializer,
            services.best_interests_record, _open_child,
        ),
        Action(
            "decide-reasonable-grounds", _("Reasonable-grounds decision"),
            C.DECISION_TAKE, s.DecisionOnlySerializer,
            _decide(DecisionKind.REASONABLE_GROUNDS),
            _fsm("decide_reasonable_grounds"), decision=True,
        ),
        Action(
            "decide-conclusive-grounds", _("Conclusive-grounds decision"),
            C.DECISION_TAKE, s.DecisionOnlySerializer,
            _decide(DecisionKind.CONCLUSIVE_GROUNDS),
            _fsm("decide_conclusive_grounds"), decision=True,
        ),
        Action(
            "reconsider", _("Reconsider a negative decision"), C.DECISION_TAKE,
            s.DecisionOnlySerializer, _decide(DecisionKind.RECONSIDERATION),
            _fsm("reconsider"), decision=True,
        ),
        Action(
            "suspend", _("Suspend: contact lost"), C.CASE_ASSIST,
            s.SuspendSerializer, services.case_suspend, _fsm("suspend"),
        ),
        Action(
            "resume", _("Resume"), C.CASE_ASSIST, s.NoInputSerializer,
            services.case_resume, _fsm("resume"),
        ),
        Action(
            "transfer", _("Transfer abroad (transit)"), C.CASE_ASSIST,
            s.TransferSerializer,
            lambda *, actor, case_id, country, to_organisation: services.case_transfer(
                actor=actor, case_id=case_id, country=country,
                to_organisation_id=to_organisation,
            ),
            _fsm("transfer"), scope="registering",
        ),
        Action(
            "close", _("Close the case"), C.CASE_CLOSE, s.CloseSerializer,
            services.case_close, _fsm("close"), scope="registering",
        ),
    ]
}  # fmt: skip


def _user_may(user: User, action: Action, case: Case) -> bool:
    try:
        if action.decision:
            policy.require_decision_maker(user, case)
        elif action.scope == "registering":
            policy.require_at_registering_organisation(user, action.capability, case)
        elif action.scope == "child_protection":
            policy.require_child_protection(user, action.capability, case)
        else:
            policy.require(user, action.capability, case)
    except Forbidden:
        return False
    return True


def available(user: User, case: Case) -> list[Action]:
    """The steps this user may take on this case now, as far as can be told
    without input; the service re-checks everything under the lock."""
    return [
        action
        for action in ACTIONS.values()
        if action.precondition(case) and _user_may(user, action, case)
    ]


def describe_fields(serializer_class: type[drf.Serializer]) -> list[dict]:
    """The input a step needs, for clients and forms."""
    described = []
    for name, field in serializer_class().fields.items():
        entry = {
            "name": name,
            "type": type(field).__name__.removesuffix("Field").lower(),
            "required": field.required,
        }
        if isinstance(field, drf.ChoiceField):
            entry["choices"] = list(field.choices)
        described.append(entry)
    return described
