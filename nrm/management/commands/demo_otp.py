import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from nrm.demo_otp import demo_device, needs_one_time_password


class Command(BaseCommand):
    help = (
        "Print the current one-time password of a demo user's demo device "
        "(only devices with the public demo key; never a real user's)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        username = options["username"]
        device = demo_device(username)
        if device is None and not needs_one_time_password(username):
            self.stdout.write(
                f"{username} needs no one-time password: sign in with the "
                "password only."
            )
            return
        if device is None:
            raise CommandError(
                "No demo device for that user: run `manage.py load_demo` first, "
                "or this user has no demo key."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        code = str(totp.token()).zfill(device.digits)
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(code)
        self.stderr.write(f"(valid for {remaining} more seconds)")
