from pathlib import Path

from django.core.management.base import BaseCommand

from referral import record


class Command(BaseCommand):
    help = (
        "Write the GDPR article 30 record of processing (Markdown and CSV) from "
        "the fields' classification, the pathways, the country profile and the "
        "settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Directory for record-of-processing.md and .csv (default: the "
            "Markdown on standard output).",
        )

    def handle(self, *args, **options):
        text = record.markdown()
        directory = options["output"]
        if directory is None:
            self.stdout.write(text, ending="")
            return
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "record-of-processing.md").write_text(text, encoding="utf-8")
        (directory / "record-of-processing.csv").write_text(
            record.csv_text(), encoding="utf-8"
        )
        self.stdout.write(
            f"wrote {directory / 'record-of-processing.md'} and "
            f"{directory / 'record-of-processing.csv'}"
        )
