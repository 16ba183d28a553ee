"""Whether this mechanism is a training one, and the band that says so on
every page, export and notification. Read at call time (`NRM_TRAINING`)."""

from __future__ import annotations

from django.conf import settings

# Not translated: the band must read the same in every language and on
# every printout, so nobody mistakes an exercise for a real case.
BAND = "TRAINING - NOT REAL PEOPLE"


def is_training() -> bool:
    return bool(getattr(settings, "NRM_TRAINING", False))
