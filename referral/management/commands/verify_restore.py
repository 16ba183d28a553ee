from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from referral import backups


class Command(BaseCommand):
    help = (
        "Check the configured database (a restored copy, with its restored keys) "
        "against a backup's manifest: rows and checksums per table, the audit "
        "chain, a sample of sealed values, no personal value in clear."
    )

    def add_arguments(self, parser):
        parser.add_argument("--manifest", required=True, type=Path)
        parser.add_argument(
            "--archive",
            type=Path,
            help="Also check the archive file against the manifest.",
        )

    def handle(self, *args, **options):
        try:
            manifest = backups.read_manifest(options["manifest"])
            report = backups.verify_restore(
                manifest=manifest,
                db=backups.database_settings(),
                archive=options["archive"],
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        for line in report.checks:
            self.stdout.write(f"ok    {line}")
        for line in report.failures:
            self.stdout.write(f"FAIL  {line}")
        if report.failures:
            raise CommandError(
                f"the restored copy does not match the manifest: "
                f"{len(report.failures)} check(s) failed"
            )
        self.stdout.write("the restored copy matches its manifest")
