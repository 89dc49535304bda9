from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from supportcall.directory.setup import ensure_site


class Command(BaseCommand):
    help = "Create or update a site whose pages may embed the widget."

    def add_arguments(self, parser):
        parser.add_argument("key", help="the site key pasted in the widget tag (data-site)")
        parser.add_argument(
            "--origin", action="append", default=[], help="an allowed origin (repeatable)"
        )
        parser.add_argument(
            "--queue", action="append", default=[], help="a queue its visitors call (repeatable)"
        )

    def handle(self, key, origin, queue, **options):
        try:
            site = ensure_site(key, origin, queue)
        except ValidationError as e:
            raise CommandError(f"site {key!r}: {' '.join(e.messages)}") from e
        queues = ", ".join(q.address for q in site.queues.all()) or "none"
        self.stdout.write(f"site {site.key}: origins {site.allowed_origins}, queues {queues}")
