from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from training import services


class Command(BaseCommand):
    help = (
        "Fire the running exercise's injects whose time has come on the exercise "
        "clock (run it every minute beside sweep_deadlines in a training mechanism)."
    )

    def handle(self, *args, **options):
        try:
            fired = services.injects_fire_due()
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"{len(fired)} inject(s) fired.")
