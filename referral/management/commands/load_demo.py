import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nrm.demo import TRY, load_directory
from nrm.demo_otp import load_demo_otp
from referral.vault import ensure_demo_keys


class Command(BaseCommand):
    help = "Load the synthetic demo mechanism (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--history",
            type=int,
            default=None,
            help="Synthetic past cases for the statistics (0: none; default: "
            "the DEMO_HISTORY_CASES setting).",
        )

    def handle(self, *args, **options):
        if not getattr(settings, "VAULT_CREATE_KEY_FILE", False):
            # Demo accounts have public passwords and one-time-password keys.
            raise CommandError(
                "load_demo runs only with the demo or test settings "
                "(DJANGO_SETTINGS_MODULE=config.settings.demo)."
            )
        ensure_demo_keys(self.stdout)
        credentials = load_directory()
        load_demo_otp(self.stdout)  # TOTP devices with public demo keys
        from referral.demo import load_cases, load_history

        created = load_cases()
        if created:
            self.stdout.write(f"{created} synthetic demo cases created.")
        wanted = options["history"]
        if wanted is None:
            wanted = getattr(settings, "DEMO_HISTORY_CASES", 0)
        if wanted:
            history = load_history(wanted)
            if history:
                self.stdout.write(
                    f"{history} synthetic past cases created and every ended "
                    "month published: the statistics dashboard has a history."
                )
        # The address scripts/demo.sh serves (runserver's DEMO_ADDR).
        address = os.environ.get("DEMO_ADDR") or "127.0.0.1:8000"
        self.stdout.write(f"Demo mechanism loaded. Sign in at http://{address}/")
        self.stdout.write(
            "For a one-time password, run in a second terminal: "
            ".venv/bin/python manage.py demo_otp <user>"
        )
        self.stdout.write(f"{'user':<15} {'password':<30} {'role':<18} organisation")
        for username, password, role, organisation in credentials:
            self.stdout.write(
                f"{username:<15} {password:<30} {role:<18} {organisation}"
            )
            if username in TRY:
                self.stdout.write(f"{'':<15} try: {TRY[username]}")
