from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from referral.diagram import document


class Command(BaseCommand):
    help = "Write the case and referral state diagrams to docs/workflow.md."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "workflow.md")
        )

    def handle(self, *args, **options):
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document(), encoding="utf-8")
        self.stdout.write(f"wrote {path}")
