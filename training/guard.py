"""A training mechanism never runs on a database with real cases, and
production never runs on a training database.

The mark: one row in `training_trainingmarker`, written when a database is
migrated with `NRM_TRAINING=1` while it holds no case (`post_migrate`), or
by `start_exercise` on an empty database. The table exists in every
database; the row only in a training one.

Checked at start-up twice, so no way in skips it: a Django system check
(every management command that checks, `runserver`, `check --deploy`), and
`config/wsgi.py`, which calls `refuse_mismatched_database()` before it hands
the application to the WSGI server (a worker that refuses does not boot).
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from core.training import is_training

MARKER_TABLE = "training_trainingmarker"
CASE_TABLE = "referral_case"

REAL_CASES = (
    "NRM_TRAINING is on, but this database holds cases and is not marked as a "
    "training database: a training mechanism never runs on real cases. Point "
    "DATABASE_URL at a database of its own (see docs/training.md)."
)
TRAINING_DATABASE = (
    "This database is marked as a training database (its people are not real), "
    "but NRM_TRAINING is off: production refuses a training database. Set "
    "NRM_TRAINING=1 to run the training mechanism, or point DATABASE_URL at the "
    "production database."
)


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def is_marked() -> bool:
    if MARKER_TABLE not in _tables():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {MARKER_TABLE} LIMIT 1")  # noqa: S608 - constant
        return cursor.fetchone() is not None


def holds_cases() -> bool:
    if CASE_TABLE not in _tables():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {CASE_TABLE} LIMIT 1")  # noqa: S608 - constant
        return cursor.fetchone() is not None


def problem() -> str:
    """What is wrong with this database for this mechanism ('' if nothing)."""
    marked = is_marked()
    if is_training():
        if not marked and holds_cases():
            return REAL_CASES
    elif marked:
        return TRAINING_DATABASE
    return ""


def refuse_mismatched_database() -> None:
    """For the WSGI entry point: raise (the server does not start) with the
    message."""
    message = problem()
    if message:
        raise ImproperlyConfigured(message)


def mark() -> None:
    """Mark this database as a training one; refused when it holds real
    cases."""
    from training.models import TrainingMarker

    if is_marked():
        return
    if holds_cases():
        raise ImproperlyConfigured(REAL_CASES)
    TrainingMarker.objects.get_or_create(id=1)


def mark_new_training_database(**kwargs) -> None:
    """post_migrate: a database migrated for training is marked at once."""
    if is_training() and not is_marked() and not holds_cases():
        mark()


def check_database(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        message = problem()
    except DatabaseError:
        # No database to look at (yet): `migrate` will create it; the other
        # start-up paths fail on their own with a clearer error.
        return []
    if not message:
        return []
    code = "training.E001" if is_training() else "training.E002"
    return [checks.Error(message, id=code)]


def register_checks() -> None:
    checks.register(check_database, "training")
