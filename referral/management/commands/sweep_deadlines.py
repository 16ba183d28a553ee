from django.core.management.base import BaseCommand

from referral.services import deadlines_sweep


class Command(BaseCommand):
    help = "Mark overdue deadlines and notify the responsible organisations."

    def handle(self, *args, **options):
        count = deadlines_sweep()
        self.stdout.write(f"{count} deadline(s) newly overdue; notifications queued.")
