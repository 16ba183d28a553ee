from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from nrm import audit
from nrm.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Verify the audit trail's MAC chain (and, with --anchor, that it still "
        "reaches every anchored head); name the first broken link."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            default=None,
            metavar="FILE",
            help="Anchors written by `audit_anchor` (one JSON object a line).",
        )

    def handle(self, *args, anchor, **options):
        anchors = None
        if anchor:
            try:
                anchors = audit.parse_anchors(Path(anchor).read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(
                    f"Cannot read the anchor file: {exc.strerror}."
                ) from None
            except ValueError as exc:
                raise CommandError(f"The anchor file is not valid: {exc}.") from None
        try:
            problems = list(audit.verify())
            if anchors is not None and not problems:
                problems = list(audit.verify_anchors(anchors))
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        for problem in problems:
            raise CommandError(
                f"audit chain broken at event #{problem.event_id}: {problem.problem}"
            )
        count = AuditEvent.objects.count()
        if anchors is None:
            self.stdout.write(f"audit chain intact: {count} events")
        else:
            self.stdout.write(
                f"audit chain intact: {count} events, reaching {len(anchors)} anchors"
            )
