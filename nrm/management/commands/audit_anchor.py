"""Print the audit chain's head (sequence, MAC, time), append it to a file,
and (with --mail, or AUDIT_ANCHOR_MAIL) send it to addresses outside the
service, such as the national rapporteur's or an oversight body's.

Keep the anchors where the database's owner cannot rewrite them (another
host, write-once storage, a printed log); `verify_audit --anchor FILE` then
fails when the events no longer reach an anchored head. Run it regularly
(e.g. hourly, from cron) and after `verify_audit` passes.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError

from nrm import audit


class Command(BaseCommand):
    help = "Print the audit chain's head and append it to the anchor file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=None,
            help="Append to this file (default: AUDIT_ANCHOR_FILE; '-' prints only).",
        )
        parser.add_argument(
            "--mail",
            action="append",
            default=None,
            metavar="ADDRESS",
            help="Also send the anchor to this address (repeatable; default: "
            "AUDIT_ANCHOR_MAIL).",
        )

    def handle(self, *args, file, mail, **options):
        line = json.dumps(audit.anchor(), sort_keys=True)
        path = file or getattr(settings, "AUDIT_ANCHOR_FILE", "")
        if path and path != "-":
            try:
                with Path(path).open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
            except OSError as exc:
                raise CommandError(
                    f"Cannot append to the anchor file: {exc.strerror}."
                ) from None
        addresses = mail or list(getattr(settings, "AUDIT_ANCHOR_MAIL", []))
        if addresses:
            # Ids, a MAC and a time: nothing personal leaves in this message.
            send_mail(
                subject="NRM audit anchor",
                message=line + "\n",
                from_email=None,
                recipient_list=addresses,
            )
        self.stdout.write(line)
