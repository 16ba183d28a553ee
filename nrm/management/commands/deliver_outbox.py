from django.core.management.base import BaseCommand

from nrm.outbox import deliver_pending


class Command(BaseCommand):
    help = "Deliver queued notifications by e-mail (at least once)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, **options):
        sent = deliver_pending(limit=options["limit"])
        self.stdout.write(f"{sent} notification(s) delivered.")
