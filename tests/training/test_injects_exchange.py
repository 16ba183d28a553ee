"""The hand-over and contested-age injects played through the real
services, and what they refuse (issue 18: the transnational inbox and the
age assessment now exist). Synthetic personas and a synthetic partner."""

from __future__ import annotations

import pytest

from core import clock
from core.errors import Conflict
from nrm.models import AuditEvent, CountryProfile
from referral import services
from referral.models import (
    Case,
    Deadline,
    DeadlineKind,
    Handover,
    PartnerMechanism,
    Referral,
)
from tests.support.training import trainee, trainer
from training import exchange, injects
from training import services as training
from training.models import Inject, InjectState

pytestmark = pytest.mark.django_db


def _start(pack: str):
    boss = trainer()
    return boss, training.exercise_start(actor=boss, pack_name=pack).exercise


def _fire(boss, exercise, key: str):
    return training.inject_fire(actor=boss, inject_id=exercise.injects.get(key=key).pk)


def test_a_contested_age_before_the_persona_arrived_is_refused(training_mechanism):
    boss, exercise = _start("transit-child")
    with pytest.raises(Conflict) as refused:
        _fire(boss, exercise, "age-doubted")
    assert refused.value.code == "inject_persona_absent"
    assert not Deadline.objects.filter(kind=DeadlineKind.MAJORITY_REVIEW).exists()
    assert exercise.injects.get(key="age-doubted").state == InjectState.PENDING


def test_a_contested_age_is_refused_once_assessed_adult_or_already_in_review(
    training_mechanism,
):
    boss, exercise = _start("transit-child")
    _fire(boss, exercise, "van-stopped")
    boy = exercise.personas.get(key="boy").case_id
    childcare = trainee(exercise, "childcare", "case_worker")
    (protection,) = Referral.objects.filter(case_id=boy)
    services.referral_accept(actor=childcare, referral_id=protection.pk)
    # A review is open (here the sweep's): the inject raises no second one.
    case = Case.objects.select_related("person", "organisation").get(pk=boy)
    services.majority_review_raise(case, now=clock.now())
    with pytest.raises(Conflict) as refused:
        _fire(boss, exercise, "age-doubted")
    assert refused.value.code == "inject_age_review_open"
    # Assessed an adult: no presumption of minority is left to contest.
    services.age_assessment_record(
        actor=childcare,
        case_id=boy,
        method="documents",
        result="adult",
        assessed_on=clock.today(),
    )
    with pytest.raises(Conflict) as refused:
        _fire(boss, exercise, "age-doubted")
    assert refused.value.code == "inject_not_child"


def test_a_hand_over_before_arrival_opens_the_childs_case_at_the_contact_point(
    training_mechanism,
):
    boss, exercise = _start("transit-child")
    inject = _fire(boss, exercise, "origin-handover")
    assert inject.outcome == "received"
    persona = exercise.personas.get(key="boy")
    # The hand-over is his arrival: the inbound case is the persona's case.
    assert persona.case_id == persona.handover_case_id is not None
    agencies = {a.key: a for a in exercise.agencies.all()}
    case = Case.objects.select_related("person").get(pk=persona.case_id)
    assert case.organisation_id == agencies["authority"].organisation_id
    assert case.person.is_child
    # A child: referred to child protection at once, as for any inbound child.
    (protection,) = Referral.objects.filter(case=case)
    assert protection.to_organisation_id == agencies["childcare"].organisation_id
    handover = Handover.objects.get(case=case, direction="inbound")
    partner = handover.partner
    assert partner.is_active and partner.organisation.country == "XE"
    assert set(partner.keys.values_list("use", flat=True)) == {"sig", "enc"}
    # The private halves are the training app's, never the directory's.
    assert all("d" not in k for k in partner.keys.values_list("jwk", flat=True))
    assert "d" in exercise.partners.get().signing_key
    # Reset: the exercise's partner leaves the directory.
    training.exercise_reset(actor=boss, exercise_id=exercise.pk)
    partner.refresh_from_db()
    assert not partner.is_active


def test_a_hand_over_the_inbox_refuses_is_audited_and_writes_nothing(
    training_mechanism,
):
    boss, exercise = _start("reception-mixed-arrival")
    _fire(boss, exercise, "boat-group-arrives")
    CountryProfile.objects.filter(is_active=True).update(
        transnational_contact_point=None
    )
    cases = Case.objects.count()
    with pytest.raises(Conflict) as refused:
        _fire(boss, exercise, "foreign-handover")
    assert refused.value.code == "no_contact_point"
    # As for a real partner's package: the refusal's code is audited, and
    # nothing else is written (not even the exercise's partner).
    (event,) = AuditEvent.objects.filter(action="handover.refused")
    assert (event.reason_code, event.case_id) == ("no_contact_point", None)
    assert Case.objects.count() == cases
    assert not Handover.objects.exists()
    assert not PartnerMechanism.objects.exists()
    assert exercise.personas.get(key="farmhand").handover_case_id is None
    assert exercise.injects.get(key="foreign-handover").state == InjectState.PENDING


def test_outside_a_training_mechanism_no_exercise_partner_is_made(
    training_mechanism,
):
    boss, exercise = _start("reception-mixed-arrival")
    training_mechanism.NRM_TRAINING = False
    with pytest.raises(Conflict) as refused:
        _fire(boss, exercise, "foreign-handover")
    assert refused.value.code == "not_training"
    with pytest.raises(Conflict) as refused:
        exchange.exercise_partner(exercise, "XB")
    assert refused.value.code == "not_training"
    assert not PartnerMechanism.objects.exists()


def test_a_kind_without_a_body_is_still_refused_by_name(training_mechanism):
    boss, exercise = _start("transit-child")
    injects.register(injects.Kind("paper_only", "Played on paper", (), None))
    try:
        inject = Inject.objects.create(
            exercise=exercise, key="paper", kind="paper_only", due_at=clock.now()
        )
        with pytest.raises(Conflict) as refused:
            training.inject_fire(actor=boss, inject_id=inject.pk)
        assert refused.value.code == "inject_kind_unavailable"
    finally:
        injects.KINDS.pop("paper_only")
