from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from supportcall.directory.setup import ensure_agent


class Command(BaseCommand):
    help = "Create or update an agent (a Django user who answers calls)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--queue", action="append", default=[], help="repeatable")
        parser.add_argument("--display-name", default="")

    def handle(self, username, password, queue, display_name, **options):
        try:
            agent = ensure_agent(username, password, queue, display_name)
        except ValidationError as e:
            raise CommandError(f"agent {username!r}: {' '.join(e.messages)}") from e
        queues = ", ".join(q.name for q in agent.queues.all()) or "no queue"
        self.stdout.write(f"agent {agent.address} in {queues}")
