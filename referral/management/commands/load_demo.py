from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nrm.demo import load_directory
from nrm.demo_otp import load_demo_otp
from referral.vault import ensure_demo_keys


class Command(BaseCommand):
    help = "Load the synthetic demo mechanism (idempotent)."

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
        from referral.demo import load_cases

        created = load_cases()
        if created:
            self.stdout.write(f"{created} synthetic demo cases created.")
        self.stdout.write("Demo mechanism loaded. Sign in at http://127.0.0.1:8000/")
        self.stdout.write(f"{'user':<12} {'password':<26} {'role':<18} organisation")
        for username, password, role, organisation in credentials:
            self.stdout.write(
                f"{username:<12} {password:<26} {role:<18} {organisation}"
            )
