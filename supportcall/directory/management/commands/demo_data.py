from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from supportcall.directory.setup import ensure_agent, ensure_site

DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = "Create the demo site, queue and agents (alice, bob, admin). Harmless to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, password, port, **options):
        origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
        ensure_site("demo", origins, ["support"])
        ensure_agent("alice", password, ["support"], "Alice Agent")
        ensure_agent("bob", password, ["support"], "Bob Agent")
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            f"demo data: site 'demo' ({', '.join(origins)}), queue 'support', "
            f"agents alice and bob, superuser admin; dev password: {password}"
        )
