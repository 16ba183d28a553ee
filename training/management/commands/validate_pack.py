from django.core.management.base import BaseCommand, CommandError

from training import packs


class Command(BaseCommand):
    help = "Check a training scenario pack (YAML); problems name their line."

    def add_arguments(self, parser):
        parser.add_argument("pack", help="a file, or the name of a shipped pack")

    def handle(self, *args, pack, **options):
        try:
            loaded = packs.load(packs.find(pack))
        except FileNotFoundError:
            raise CommandError(f"No such pack: {pack}") from None
        except packs.PackError as error:
            raise CommandError(f"The pack is refused:\n{error}") from None
        data = loaded.data
        self.stdout.write(
            f"{loaded.path}: valid. {len(data['agencies'])} agencies, "
            f"{len(data['personas'])} personas, {len(data['injects'])} injects."
        )
