"""The synthetic caseload (`referral/caseload.py`) is not a second workflow:
every case and referral it generates got to its stored state by the models'
own transitions, one move of the declared graph at a time, and a move the
graph does not allow is refused rather than written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django_fsm.signals import post_transition

from nrm.demo import load_directory
from nrm.models import User
from referral import caseload, policy
from referral.models import Case, CaseState, Referral, ReferralState

# The caseloads are generated with the clock standing still on this day.
NOW = datetime(2026, 6, 30, 10, tzinfo=UTC)
START = date(2024, 1, 1)


def declared_moves(model) -> set[tuple[str, str, str]]:
    """(source, transition, target) for every move the model declares, read
    from django-fsm's metadata here, apart from the generator."""
    field = model._meta.get_field("state")
    moves = set()
    for transition in field.get_all_transitions(model):
        assert transition.source not in ("*", "+"), "wildcards are not expected"
        targets = getattr(transition.target, "allowed_states", None)
        for target in targets or [transition.target]:
            # A target of None keeps the state (a later screening).
            moves.add((transition.source, transition.name, target or transition.source))
    return moves


@pytest.fixture
def walks():
    """Every transition fired while the test runs, by model and row id."""
    fired: dict[tuple[type, object], list[tuple[str, str, str]]] = {}

    def record(sender, instance, name, source, target, **kwargs):
        fired.setdefault((sender, instance.pk), []).append((source, name, target))

    post_transition.connect(record, weak=False, dispatch_uid="caseload-walks")
    yield fired
    post_transition.disconnect(dispatch_uid="caseload-walks")


def assert_walks_of_the_graph(model, walks) -> int:
    """Each stored row's transitions start at the state field's default, each
    leaves the state the previous one reached, each is a declared move, and
    the last reaches the stored state. Returns the number of moves."""
    moves = declared_moves(model)
    start = model._meta.get_field("state").default
    stored = dict(model.objects.values_list("pk", "state"))
    assert stored
    walked = {pk for (sender, pk) in walks if sender is model}
    assert walked <= set(stored), "a walk without a row"
    total = 0
    for pk, state in stored.items():
        reached = start
        for source, name, target in walks.get((model, pk), []):
            assert source == reached, (model.__name__, name, source, reached)
            assert (source, name, target) in moves, (model.__name__, name, source)
            reached = target
            total += 1
        assert reached == state, (model.__name__, reached, state)
    return total


@pytest.mark.parametrize(("seed", "count"), [(1, 150), (7, 600), (23, 1500)])
def test_every_generated_case_and_referral_is_a_walk_of_the_graph(
    db, walks, seed, count
):
    load_directory()
    with time_machine.travel(NOW, tick=False):
        summary = caseload.generate(count, seed=seed, start=START, batch_size=500)
    assert summary.cases == Case.objects.count() == count
    case_moves = assert_walks_of_the_graph(Case, walks)
    referral_moves = assert_walks_of_the_graph(Referral, walks)
    # Not vacuous: cases went a long way, and through every kind of ending.
    assert case_moves > 2 * count and referral_moves > 0
    reached = set(Case.objects.values_list("state", flat=True))
    assert {CaseState.CLOSED, CaseState.RECOGNISED, CaseState.NOT_IDENTIFIED} <= (
        reached
    )


def test_access_is_granted_as_the_services_grant_it(db):
    """The registering organisation sees its cases; the authority sees those
    whose identification referral it accepted, and no other."""
    load_directory()
    with time_machine.travel(NOW, tick=False):
        caseload.generate(300, seed=3, start=START)
    reception, idworker = (
        User.objects.get(username=name) for name in ("reception", "idworker")
    )
    registered = Case.objects.filter(organisation__name="North Reception Centre")
    assert registered.exists()
    assert set(policy.visible_cases(reception)) == set(registered)
    accepted = Case.objects.filter(
        referrals__to_organisation__name="National Identification Authority",
        referrals__state=ReferralState.ACCEPTED,
    )
    assert accepted.exists()
    assert set(policy.visible_cases(idworker)) == set(accepted)


def test_a_move_the_graph_does_not_allow_is_refused_and_nothing_is_written(
    db, monkeypatch
):
    load_directory()
    # As if the workflow no longer allowed screening a registered case.
    declared = Case.record_screening._django_fsm.transitions
    monkeypatch.delitem(declared, CaseState.REGISTERED)
    with time_machine.travel(NOW, tick=False), pytest.raises(caseload.DisallowedPath):
        caseload.generate(50, seed=1, start=START)
    assert not Case.objects.exists()
    assert not Referral.objects.exists()


def test_a_journey_fires_only_declared_transitions():
    at = NOW
    journey = caseload.Journey(Case, state_changed_at=at)
    with pytest.raises(caseload.DisallowedPath):
        journey.fire("decide_conclusive_grounds", at=at, positive=True)
    with pytest.raises(caseload.DisallowedPath):
        journey.fire("forget_lapsed_referral_while_suspended")  # not a transition
    assert journey.fire("flag_for_referral", at=at) == CaseState.REFERRAL_PENDING
    assert journey.columns()["state"] == CaseState.REFERRAL_PENDING
