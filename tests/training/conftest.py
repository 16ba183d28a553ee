from datetime import UTC, datetime

import pytest
import time_machine


@pytest.fixture
def training_mechanism(settings, db):
    """A training mechanism on the test database, the real clock pinned
    (the exercise clock then moves only when the trainer moves it)."""
    settings.NRM_TRAINING = True
    settings.NRM_CLOCK = "training.clock.exercise_now"
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=False):
        yield settings
