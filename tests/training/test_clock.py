"""The one clock of the workflow: the real clock in production, the
exercise clock in a training mechanism (run, paused, at a speed, jumped
forward only). The real clock is pinned and moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core import clock
from core.errors import Conflict, InvalidInput
from tests.support.training import trainer
from training import services

REAL = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_production_reads_the_real_clock(settings):
    settings.NRM_CLOCK = ""
    with time_machine.travel(REAL, tick=False):
        assert clock.now() == REAL
        assert clock.today() == REAL.date()


@pytest.mark.django_db
def test_the_exercise_clock_runs_pauses_and_jumps_forward_only(settings):
    settings.NRM_TRAINING = True
    settings.NRM_CLOCK = "training.clock.exercise_now"
    with time_machine.travel(REAL, tick=False) as traveller:
        assert clock.now() == REAL  # no exercise: the real clock
        boss = trainer()
        exercise = services.exercise_start(
            actor=boss, pack_name="transit-child", speed=60
        ).exercise
        day_one = exercise.day_zero
        assert clock.now() == day_one  # paused at day 1, 08:00
        traveller.shift(timedelta(minutes=10))
        assert clock.now() == day_one  # paused: the real minutes do not count

        services.clock_set(actor=boss, exercise_id=exercise.pk, paused=False)
        traveller.shift(timedelta(minutes=10))
        assert clock.now() == day_one + timedelta(hours=10)  # 60 times real time
        services.clock_set(actor=boss, exercise_id=exercise.pk, speed=6)
        traveller.shift(timedelta(minutes=10))
        assert clock.now() == day_one + timedelta(hours=11)

        services.clock_jump(
            actor=boss, exercise_id=exercise.pk, to=day_one + timedelta(days=3)
        )
        assert clock.now() == day_one + timedelta(days=3)
        services.clock_jump(actor=boss, exercise_id=exercise.pk, to=day_one)
        assert clock.now() == day_one + timedelta(days=3)  # never back

        with pytest.raises(InvalidInput) as refused:
            services.clock_set(actor=boss, exercise_id=exercise.pk, speed=0)
        assert refused.value.code == "exercise_speed_invalid"

        services.exercise_reset(actor=boss, exercise_id=exercise.pk)
        assert clock.now() == REAL + timedelta(minutes=30)  # the real clock again
        with pytest.raises(Conflict) as refused:
            services.clock_set(actor=boss, exercise_id=exercise.pk, paused=False)
        assert refused.value.code == "exercise_not_running"


@pytest.mark.django_db
def test_exercises_run_only_in_a_training_mechanism(settings):
    settings.NRM_TRAINING = False
    with pytest.raises(Conflict) as refused:
        services.exercise_start(actor=None, pack_name="transit-child")
    assert refused.value.code == "not_training"
