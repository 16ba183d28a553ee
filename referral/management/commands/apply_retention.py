from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from nrm.selectors import active_profile
from referral import retention


class Command(BaseCommand):
    help = (
        "Apply the country profile's retention periods: crypto-shred the personal "
        "data of people whose cases all ended longer ago than their period, delete "
        "old delivered notifications. Resumable; --dry-run lists what it would do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be erased; change nothing.",
        )
        parser.add_argument(
            "--limit", type=int, help="Erase at most this many people in this run."
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="With --dry-run: what would be due on that day.",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["as_of"]:
            if not options["dry_run"]:
                raise CommandError("--as-of plans only: use it with --dry-run.")
            now = timezone.make_aware(datetime.combine(options["as_of"], time.max))
        profile = active_profile()
        self.stdout.write(
            f"retention periods ({profile.name}): closed or transferred cases "
            f"{profile.retention_closed_case_days} days, ended without "
            f"identification {profile.retention_refused_case_days} days, audit "
            f"events {profile.retention_audit_days} days, delivered notifications "
            f"{profile.retention_outbox_days} days, statistics releases "
            + (
                f"{profile.retention_statistics_release_days} days"
                if profile.retention_statistics_release_days
                else "kept"
            )
        )
        if options["dry_run"]:
            self.dry_run(profile, now)
            return
        total = retention.people_due(profile, now).count()
        if options["limit"] is not None:
            total = min(total, options["limit"])
        with tqdm(
            total=total,
            unit="person",
            desc="erasing",
            file=self.stderr,
            disable=options["no_progress"],
            dynamic_ncols=True,
        ) as bar:
            report = retention.apply_retention(
                now=now, limit=options["limit"], progress=bar.update
            )
        rules = ", ".join(f"{n} {rule}" for rule, n in sorted(report.by_rule.items()))
        self.stdout.write(
            f"people erased: {report.people_erased}"
            + (f" ({rules})" if rules else "")
            + f"; sealed rows emptied: {report.rows_emptied}"
        )
        if report.people_skipped:
            self.stdout.write(
                f"people skipped (no longer due when locked): {report.people_skipped}"
            )
        remaining = retention.people_due(profile, now).count()
        self.stdout.write(
            f"people still due: {remaining}"
            + (" (run again to carry on)" if remaining else "")
        )
        self.stdout.write(f"delivered notifications deleted: {report.outbox_deleted}")
        self.stdout.write(
            f"audit events older than their period: {report.audit_past_period} "
            "(kept: the trail is append-only; see docs/operations.md)"
        )

    def dry_run(self, profile, now):
        due = retention.due_list(profile, now)
        self.stdout.write(f"dry run as of {now:%Y-%m-%d %H:%M %Z}: nothing is changed")
        self.stdout.write(f"people due for erasure: {len(due)}")
        for item in due:
            self.stdout.write(
                f"  person {item.person_id}  rule {item.rule:<7}  cases {item.cases}"
                f"  last ended {item.ended:%Y-%m-%d}"
            )
        outbox = retention.outbox_due(profile, now).count()
        self.stdout.write(f"delivered notifications to delete: {outbox}")
        self.stdout.write(
            "audit events older than their period: "
            f"{retention.audit_past_period(profile, now)} (kept)"
        )
