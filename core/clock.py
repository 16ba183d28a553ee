"""The one clock of the workflow: deadlines, recovery periods, working days
and the deadline sweep read `now()` and `today()`, never
`django.utils.timezone.now()`.

In production it is the real clock. A training mechanism (`NRM_TRAINING`)
names, in the `NRM_CLOCK` setting, the function that reads the exercise
clock a trainer runs (`training/clock.py`); `core` imports no app, so the
setting is the only link.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@lru_cache(maxsize=4)
def _source(path: str):
    return import_string(path)


def now() -> datetime:
    """The current time of the mechanism (aware)."""
    path = getattr(settings, "NRM_CLOCK", "")
    if not path:
        return timezone.now()
    return _source(path)()


def today() -> date:
    """The current local date of the mechanism."""
    return timezone.localdate(now())
