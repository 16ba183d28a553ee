"""Delete the kept answers of expired Idempotency-Keys (nrm/idempotency.py).

A user's own expired keys go on their next keyed request; this clears those
of users who send none. Run it daily.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from nrm.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records."

    def handle(self, *args, **options):
        deleted, _ = IdempotencyKey.objects.filter(
            expires_at__lte=timezone.now()
        ).delete()
        self.stdout.write(f"{deleted} expired idempotency keys deleted")
