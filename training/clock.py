"""The exercise clock, which the workflow reads through `core.clock` in a
training mechanism (`NRM_CLOCK`). Without a running exercise it is the real
clock. The trainer runs it at a chosen speed, pauses it, or jumps it forward
(never back: deadlines and the audit trail keep their order)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput
from training.models import Exercise, ExerciseState

MAX_SPEED = 10_000.0


def running() -> Exercise | None:
    return Exercise.objects.filter(state=ExerciseState.RUNNING).first()


def exercise_now() -> datetime:
    exercise = running()
    real = timezone.now()
    return real if exercise is None else exercise.exercise_time(real)


def _reanchor(exercise: Exercise, real: datetime) -> None:
    exercise.anchor_exercise = exercise.exercise_time(real)
    exercise.anchor_real = real


def _locked(exercise_id) -> Exercise:
    exercise = Exercise.objects.select_for_update().filter(pk=exercise_id).first()
    if exercise is None or exercise.state != ExerciseState.RUNNING:
        raise Conflict(_("This exercise is not running."), code="exercise_not_running")
    return exercise


def require_speed(speed: float) -> None:
    """A speed the clock can run at: above 0 and at most MAX_SPEED (NaN and
    infinity fail both comparisons)."""
    if not (0 < speed <= MAX_SPEED):
        raise InvalidInput(
            _("The clock's speed must be above 0 and at most 10,000."),
            code="exercise_speed_invalid",
            detail={"speed": ["Out of range."]},
        )


@transaction.atomic
def clock_set(
    *, exercise_id, speed: float | None = None, paused: bool | None = None
) -> Exercise:
    """Change the speed or pause/run the clock, from the exercise time now."""
    exercise = _locked(exercise_id)
    if speed is not None:
        require_speed(speed)
    _reanchor(exercise, timezone.now())
    if speed is not None:
        exercise.speed = speed
    if paused is not None:
        exercise.paused = paused
    exercise.save(update_fields=["anchor_exercise", "anchor_real", "speed", "paused"])
    return exercise


@transaction.atomic
def clock_jump(*, exercise_id, to: datetime) -> Exercise:
    """Jump the clock forward to `to` (a time already passed: no change)."""
    exercise = _locked(exercise_id)
    real = timezone.now()
    _reanchor(exercise, real)
    if to > exercise.anchor_exercise:
        exercise.anchor_exercise = to
    exercise.save(update_fields=["anchor_exercise", "anchor_real"])
    return exercise
