"""Bulk-create a synthetic caseload for statistics, demos and benchmarks.

    python manage.py generate_caseload --count 100000 [--seed 1]
        [--start 2024-01-01] [--batch-size 20000]

People get no personal data (empty sealed columns; the vault is never
asked). Each case's and referral's path is walked in memory through the
models' own transitions (a path the workflow graph does not allow is refused),
then cases, referrals, decisions and deadlines are inserted in batches by
PostgreSQL COPY (plain INSERTs elsewhere), without the services. See
`referral/caseload.py`.
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from referral import caseload


class Command(BaseCommand):
    help = "Bulk-create N synthetic people and cases (no personal data)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--start",
            type=date.fromisoformat,
            default=None,
            help="First registration day (default: January 1st, two years ago).",
        )
        parser.add_argument("--batch-size", type=int, default=20_000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes generating in parallel (PostgreSQL only).",
        )

    def handle(self, *args, count, seed, start, batch_size, workers, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        began = time.monotonic()

        def progress(done: int) -> None:
            elapsed = time.monotonic() - began
            self.stdout.write(f"{done} cases ({elapsed:.0f} s)")

        try:
            summary = caseload.generate(
                count,
                seed=seed,
                start=start,
                batch_size=batch_size,
                workers=workers,
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - began
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {summary.cases} cases, {summary.referrals} referrals, "
                f"{summary.decisions} decisions, {summary.deadlines} deadlines "
                f"in {elapsed:.1f} s."
            )
        )
        for state, n in sorted(summary.states.items()):
            self.stdout.write(f"  {state}: {n}")
