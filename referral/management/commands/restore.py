from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from referral import backups
from referral.management.passphrases import passphrase


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an empty database and write "
        "the key file from the key export. Without the key export nothing is "
        "restored. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--archive", required=True, type=Path)
        parser.add_argument(
            "--keys",
            type=Path,
            help="The key export (.keys.sealed) of the same backup.",
        )
        parser.add_argument(
            "--key-file",
            required=True,
            type=Path,
            help="Where to write the restored vault key file (new).",
        )
        parser.add_argument(
            "--audit-key-file",
            type=Path,
            help="Where to write the restored audit key file (new; default: "
            "audit-keys.json beside --key-file).",
        )
        parser.add_argument(
            "--exchange-key-file",
            type=Path,
            help="Where to write the restored transnational exchange key file, "
            "when the export carries one (new; default: exchange-keys.json beside "
            "--key-file).",
        )
        parser.add_argument(
            "--manifest",
            type=Path,
            help="The backup's manifest: the archive must match it.",
        )
        parser.add_argument(
            "--database-url", help="The empty target database (default: DATABASE_URL)."
        )
        parser.add_argument("--passphrase-file", type=Path)
        parser.add_argument("--keys-passphrase-file", type=Path)

    def handle(self, *args, **options):
        archive, keys = options["archive"], options["keys"]
        if not archive.is_file():
            raise CommandError(f"The archive {archive} does not exist.")
        if keys is None or not keys.is_file():
            raise CommandError(
                "The key export is missing"
                + (f" ({keys} does not exist)" if keys else "")
                + ": pass --keys <backup>.keys.sealed, written by `manage.py backup`. "
                "Without the vault's keys the restored personal data cannot be "
                "opened, so nothing was restored."
            )
        archive_passphrase = passphrase(
            options["passphrase_file"], backups.ARCHIVE_PASSPHRASE, "--passphrase-file"
        )
        keys_passphrase = passphrase(
            options["keys_passphrase_file"],
            backups.KEYS_PASSPHRASE,
            "--keys-passphrase-file",
        )
        try:
            manifest = (
                backups.read_manifest(options["manifest"])
                if options["manifest"]
                else None
            )
            db = backups.database_settings(options["database_url"])
            summary = backups.restore(
                archive=archive,
                keys=keys,
                key_file=options["key_file"],
                archive_passphrase=archive_passphrase,
                keys_passphrase=keys_passphrase,
                manifest=manifest,
                db=db,
                audit_key_file=options["audit_key_file"],
                exchange_key_file=options["exchange_key_file"],
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored {archive.name} into the database {db['NAME']}")
        self.stdout.write(
            f"key file: {options['key_file']} (active key {summary['active']}, "
            f"{len(summary['kek_ids'])} key-encryption key(s))"
        )
        if summary["exchange_key_file"]:
            self.stdout.write(f"exchange key file: {summary['exchange_key_file']}")
        if summary["audit_key_file"]:
            self.stdout.write(f"audit key file: {summary['audit_key_file']}")
        else:
            self.stdout.write(
                "this key export carries no audit key file (made before they were "
                "exported): bring the old server's AUDIT_KEY_FILE separately"
            )
        self.stdout.write(
            "next: run deploy/runtime-role.sql on it, then `manage.py verify_restore "
            "--manifest <manifest>` with VAULT_KEY_FILE and AUDIT_KEY_FILE (and "
            "TRANSNATIONAL_KEY_FILE) set to the restored key files"
        )
