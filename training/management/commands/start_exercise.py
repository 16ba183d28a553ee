from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from training import packs, services


class Command(BaseCommand):
    help = (
        "Start a training exercise from a scenario pack (NRM_TRAINING=1 only): "
        "prints the trainer's and the trainees' credentials and one-time-password "
        "keys, once."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="a shipped pack's name or a file")
        parser.add_argument(
            "--speed",
            type=float,
            default=60.0,
            help="exercise seconds per real second once the clock runs (60)",
        )

    def handle(self, *args, pack, speed, **options):
        try:
            started = services.exercise_start(
                actor=None, pack_name=pack, speed=speed, allow_path=True
            )
        except packs.PackError as error:
            raise CommandError(f"The pack is refused:\n{error}") from None
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        exercise = started.exercise
        self.stdout.write("TRAINING - NOT REAL PEOPLE")
        self.stdout.write(f"Exercise {exercise.pk} started: {exercise.pack_title}")
        self.stdout.write(
            "The clock is paused at day 1, 08:00; the trainer runs it at "
            "/training/. Print this page for the participants:"
        )
        self.stdout.write(
            f"{'user':<28} {'password':<22} {'role':<18} {'one-time-password key':<34} organisation"
        )
        for c in started.credentials:
            self.stdout.write(
                f"{c.username:<28} {c.password:<22} {c.role:<18} {c.otp_key:<34} {c.organisation}"
            )
