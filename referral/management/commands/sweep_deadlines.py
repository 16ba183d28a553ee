from django.core.management.base import BaseCommand

from referral.services import deadlines_sweep, majority_sweep


class Command(BaseCommand):
    help = (
        "Raise a review for presumed children whose recorded age of majority "
        "passed, mark overdue deadlines and notify the responsible organisations."
    )

    def handle(self, *args, **options):
        raised = majority_sweep()
        count = deadlines_sweep()
        self.stdout.write(
            f"{count} deadline(s) newly overdue; notifications queued; "
            f"{raised} case(s) past the recorded age of majority raised for review."
        )
