"""This mechanism's exchange keys (TRANSNATIONAL_KEY_FILE): create them, rotate
them, retire an old one, or list them with their fingerprints.

    manage.py transnational_keygen             create the file if absent
    manage.py transnational_keygen --rotate    new signing and encryption keys
    manage.py transnational_keygen --retire KID
    manage.py transnational_keygen --list

The public parts are served at /api/v1/.well-known/jwks.json; partners
compare the fingerprints printed here out of band before trusting them.
Rotate, let partners import the new keys, and retire the old ones only
after the package lifetime (14 days), so no package in flight is lost.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from referral.vault import exchangekeys


class Command(BaseCommand):
    help = "Create, rotate, retire or list this mechanism's exchange keys."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true")
        action.add_argument("--retire", metavar="KID")
        action.add_argument("--list", action="store_true")

    def handle(self, *args, rotate=False, retire=None, list=False, **options):
        try:
            path = exchangekeys.key_file_path()
            if rotate:
                added = exchangekeys.rotate_exchange_keys(path)
                self.stdout.write(
                    f"Added and activated {added['signing']} and "
                    f"{added['encryption']}; the old keys stay."
                )
            elif retire:
                if not exchangekeys.retire_exchange_key(path, retire):
                    raise CommandError(f"No inactive key {retire!r} in the file.")
                self.stdout.write(f"Retired {retire}.")
            elif not list:
                created = exchangekeys.create_exchange_keys(path)
                if created is None:
                    self.stdout.write(
                        f"The exchange key file {path} exists; unchanged."
                    )
                else:
                    self.stdout.write(
                        f"Created the exchange key file {path}. Back it up apart "
                        "from the database."
                    )
            exchangekeys.reload_exchange_keys()
            keys = exchangekeys.exchange_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        for use, kid, fingerprint, active in exchangekeys.describe(keys):
            mark = "active" if active else "old"
            self.stdout.write(f"{use} {kid} {fingerprint} {mark}")
