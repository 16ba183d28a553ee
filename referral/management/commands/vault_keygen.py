"""Add a new key-encryption key (KEK) to the vault key file.

By default the new key becomes active: new data keys are wrapped under it and
`rotate_vault_keys` re-wraps the old ones. With several app servers, add it
`--inactive`, restart them all, then `--activate <id>` and restart again, so
no server meets a key it cannot unwrap. Prints ids only, never key material.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from referral import vault


class Command(BaseCommand):
    help = "Add a new vault key-encryption key to the key file and make it active."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=None, help="The key file (default: VAULT_KEY_FILE)."
        )
        parser.add_argument("--id", dest="kek_id", default=None, help="The new key id.")
        parser.add_argument(
            "--inactive", action="store_true", help="Add the key without activating it."
        )
        parser.add_argument(
            "--activate", default=None, metavar="ID", help="Activate an existing key."
        )

    def handle(self, *args, file, kek_id, inactive, activate, **options):
        path = file or getattr(settings, "VAULT_KEY_FILE", "")
        if not path:
            raise CommandError(
                "Set the VAULT_KEY_FILE environment variable or pass --file. (Keys "
                "in VAULT_KEYS: generate into a file, then copy its content.)"
            )
        try:
            if activate:
                vault.activate_kek(path, activate)
                self.stdout.write(f"Key {activate} is now active in {path}.")
            else:
                new_id = vault.add_kek(path, kek_id=kek_id, activate=not inactive)
                state = "added (inactive)" if inactive else "added and active"
                self.stdout.write(f"Key {new_id} {state} in {path}.")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if not inactive:
            self.stdout.write(
                "Restart the service, then run `manage.py rotate_vault_keys` to "
                "re-wrap the data keys under it."
            )
