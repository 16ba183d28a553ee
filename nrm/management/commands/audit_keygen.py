"""Create the audit key file, or add a key to it and make it active.

Events keep the id of the key that sealed them, so older keys stay in the file
(verification needs them). Prints ids only, never key material.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from nrm import audit_keys


class Command(BaseCommand):
    help = "Create the audit MAC key file, or add a new active key to it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=None, help="The key file (default: AUDIT_KEY_FILE)."
        )

    def handle(self, *args, file, **options):
        path = file or getattr(settings, "AUDIT_KEY_FILE", "")
        if not path:
            raise CommandError(
                "Set the AUDIT_KEY_FILE environment variable or pass --file."
            )
        path = Path(path)
        try:
            if audit_keys.create_key_file(path):
                data = audit_keys.parse(audit_keys.read_key_file(path))
                self.stdout.write(f"Created {path} with key {data.active}.")
                return
            key_id = audit_keys.add_key(path)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Key {key_id} added and active in {path}; new events are sealed "
            "with it. Keep the older keys: verify_audit needs them."
        )
