"""Create the vault key file named by VAULT_KEY_FILE, if it does not exist.

The file (mode 0600) holds a first key-encryption key and the blind-index
key. Losing it loses every person's personal data: back it up apart from the
database. An existing file is never overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from referral import vault


class Command(BaseCommand):
    help = "Create the vault key file (VAULT_KEY_FILE) if it does not exist."

    def handle(self, *args, **options):
        try:
            created = vault.ensure_key_file()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if created is not None:
            self.stdout.write(
                f"Created the vault key file {created}. Back it up apart from the "
                "database: without it the personal data cannot be read."
            )
        elif getattr(settings, "VAULT_KEYS", ""):
            self.stdout.write("The vault keys come from VAULT_KEYS; nothing to do.")
        else:
            self.stdout.write(
                f"The vault key file {settings.VAULT_KEY_FILE} exists; unchanged."
            )
