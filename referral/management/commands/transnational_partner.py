"""Add a partner mechanism to the directory, or import its rotated keys, from
its published key set (the JSON of its /api/v1/.well-known/jwks.json, as a
file or a URL). Prints each key's fingerprint: compare them with the
partner's out of band. Keys already known are kept (rotation never drops a
key a package in flight may need); `--expire-old` ends the validity of the
keys the set no longer lists. The admin edits the same directory.

    manage.py transnational_partner --mechanism-id XC --country XC \\
        --name "Mechanism of XC" --inbox-url https://.../api/v1/transnational/inbox/ \\
        --keys https://.../api/v1/.well-known/jwks.json [--organisation NAME]
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from nrm.models import Organisation
from referral.models import PartnerKey, PartnerMechanism
from referral.vault import jose


def _read_key_set(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - the operator's URL
            return json.loads(response.read())
    return json.loads(Path(source).read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = "Add or update a partner mechanism and import its public keys."

    def add_arguments(self, parser):
        parser.add_argument("--mechanism-id", required=True)
        parser.add_argument("--country", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--inbox-url", required=True)
        parser.add_argument("--keys", required=True, help="A JWKS file or URL.")
        parser.add_argument("--contact-point", default="")
        parser.add_argument(
            "--organisation",
            default="",
            help="The directory organisation standing for this partner.",
        )
        parser.add_argument("--expire-old", action="store_true")

    def handle(self, *args, **o):
        try:
            key_set = _read_key_set(o["keys"])
        except (OSError, ValueError) as exc:
            raise CommandError(
                f"Cannot read the key set: {type(exc).__name__}"
            ) from None
        keys = key_set.get("keys") if isinstance(key_set, dict) else None
        if not isinstance(keys, list) or not keys:
            raise CommandError("The key set lists no keys.")
        organisation = None
        if o["organisation"]:
            organisation = Organisation.objects.filter(name=o["organisation"]).first()
            if organisation is None:
                raise CommandError("No organisation of that name in the directory.")
        now = timezone.now()
        with transaction.atomic():
            partner, _ = PartnerMechanism.objects.update_or_create(
                mechanism_id=o["mechanism_id"],
                defaults={
                    "country": o["country"],
                    "name": o["name"],
                    "inbox_url": o["inbox_url"],
                    "contact_point": o["contact_point"],
                    "organisation": organisation,
                    "is_active": True,
                },
            )
            listed = set()
            for key in keys:
                try:
                    public = jose.public_jwk(key)
                except jose.JoseError:
                    raise CommandError("A key is not a public EC P-256 key.") from None
                kid, use = key.get("kid"), key.get("use")
                if not isinstance(kid, str) or use not in ("sig", "enc"):
                    raise CommandError("Every key needs a kid and a use (sig or enc).")
                listed.add(kid)
                public = {**public, "kid": kid, "use": use}
                if PartnerKey.objects.filter(kid=kid).exclude(partner=partner).exists():
                    raise CommandError(
                        f"Key {kid} belongs to another partner: refused."
                    )
                stored, created = PartnerKey.objects.get_or_create(
                    partner=partner,
                    kid=kid,
                    defaults={
                        "use": use,
                        "jwk": public,
                        "valid_from": now,
                        "fingerprint": jose.fingerprint(public),
                    },
                )
                if not created and stored.fingerprint != jose.fingerprint(public):
                    raise CommandError(
                        f"Key {kid} changed: refused (a kid is forever)."
                    )
                state = "new" if created else "known"
                self.stdout.write(f"{use} {kid} {stored.fingerprint} {state}")
            if o["expire_old"]:
                PartnerKey.objects.filter(
                    partner=partner, valid_until__isnull=True
                ).exclude(kid__in=listed).update(valid_until=now)
