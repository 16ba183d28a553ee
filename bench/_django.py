"""Shared set-up for benchmarks: Django on a throwaway PostgreSQL database.

Uses DATABASE_URL (or finds a local server like the test command does),
creates a `test_*` database with migrations, and drops it at exit.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


_done = False


def setup(*, existing: bool = False) -> None:
    """`existing`: use the database DATABASE_URL names as it is (no
    throwaway copy), e.g. one a previous run generated."""
    global _done
    if _done:
        return
    _done = True
    if not os.environ.get("DATABASE_URL"):
        url = subprocess.run(
            [str(ROOT / "scripts" / "find_postgres.sh")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment

    setup_test_environment()
    if existing:
        return
    old = setup_databases(verbosity=0, interactive=False)

    def teardown():
        from django.test.utils import teardown_databases

        teardown_databases(old, verbosity=0)

    atexit.register(teardown)
