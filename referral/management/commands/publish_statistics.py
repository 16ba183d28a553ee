"""Publish the statistics release of every month that has ended.

    python manage.py publish_statistics [--backfill]

Run it from the periodic job (daily is enough; a month is published once,
the first time the job runs after it ends). Each month is one transaction:
an interrupted run resumes at the first unpublished month. `--backfill`
first records the milestones of cases that predate the milestone table (an
upgrade) or were bulk-created.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from referral.statistics import milestones, releases
from referral.statistics.protection import DisclosureError


class Command(BaseCommand):
    help = "Publish the statistics release of every month that has ended."

    def add_arguments(self, parser):
        parser.add_argument("--backfill", action="store_true")

    def handle(self, *args, backfill, **options):
        began = time.monotonic()
        if backfill:
            added = milestones.backfill()
            self.stdout.write(f"Recorded {added} milestones.")

        def progress(line: str) -> None:
            self.stdout.write(f"{line} ({time.monotonic() - began:.1f} s)")

        try:
            done = releases.publish_due(progress=progress)
        except (DisclosureError, ValueError) as exc:
            raise CommandError(f"Nothing more was published: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Published {len(done)} monthly releases.")
        )
