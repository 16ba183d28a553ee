from django.core.management.base import BaseCommand, CommandError

from nrm import audit
from nrm.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first broken link."

    def handle(self, *args, **options):
        for problem in audit.verify():
            raise CommandError(
                f"audit chain broken at event #{problem.event_id}: {problem.problem}"
            )
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} events")
