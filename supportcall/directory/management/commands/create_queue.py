from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from supportcall.directory.setup import ensure_queue


class Command(BaseCommand):
    help = "Create a queue (a line visitors can call). Harmless if it exists."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--display-name", default="")

    def handle(self, name, display_name, **options):
        try:
            queue = ensure_queue(name, display_name)
        except ValidationError as e:
            raise CommandError(f"queue {name!r}: {' '.join(e.messages)}") from e
        self.stdout.write(f"queue {queue.address}")
