from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from referral import backups
from referral.management.passphrases import passphrase


class Command(BaseCommand):
    help = (
        "Write an encrypted, verified archive of the database (pg_dump, custom "
        "format) with its manifest, and separately the key export (sealed under "
        "its own passphrase). See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            required=True,
            type=Path,
            help="Directory for the archive and its manifest.",
        )
        parser.add_argument(
            "--keys-output",
            type=Path,
            help="Directory for the key export (default: --output; "
            "keep the copies apart).",
        )
        parser.add_argument(
            "--no-keys",
            action="store_true",
            help="Skip the key export (the keys did not change).",
        )
        parser.add_argument(
            "--passphrase-file",
            type=Path,
            help=f"Archive passphrase (default: ${backups.ARCHIVE_PASSPHRASE}).",
        )
        parser.add_argument(
            "--keys-passphrase-file",
            type=Path,
            help=f"Key-export passphrase (default: ${backups.KEYS_PASSPHRASE}).",
        )

    def handle(self, *args, **options):
        archive_passphrase = passphrase(
            options["passphrase_file"], backups.ARCHIVE_PASSPHRASE, "--passphrase-file"
        )
        keys_passphrase = None
        if not options["no_keys"]:
            keys_passphrase = passphrase(
                options["keys_passphrase_file"],
                backups.KEYS_PASSPHRASE,
                "--keys-passphrase-file",
            )
        try:
            result = backups.backup(
                directory=options["output"],
                keys_directory=options["keys_output"],
                archive_passphrase=archive_passphrase,
                keys_passphrase=keys_passphrase,
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"archive:  {result.archive} ({result.archive_bytes} bytes, "
            f"{result.tables} tables, {result.rows} rows; verified: it opens and "
            "pg_restore reads it)"
        )
        self.stdout.write(f"manifest: {result.manifest}")
        if result.keys:
            self.stdout.write(
                f"keys:     {result.keys} (store it apart from the archive)"
            )
        else:
            self.stdout.write("keys:     not exported (--no-keys)")
