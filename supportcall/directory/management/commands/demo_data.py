from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from supportcall.directory.setup import ensure_agent, ensure_site

DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = (
        "Create the demo site, queue and agents (alice, bob, and sam who supervises), and the "
        "superuser admin. Harmless to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, password, port, **options):
        origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
        ensure_site("demo", origins, ["support"])
        ensure_agent("alice", password, ["support"], "Alice Agent")
        ensure_agent("bob", password, ["support"], "Bob Agent")
        # A supervisor: an agent who is staff, so the dashboard shows it the team view.
        sam = ensure_agent("sam", password, ["support"], "Sam Supervisor")
        User.objects.filter(pk=sam.user_id).update(is_staff=True)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            f"demo data: site 'demo' ({', '.join(origins)}), queue 'support', "
            "agents alice and bob, supervisor sam (an agent and staff: the team view), "
            f"superuser admin; dev password: {password}"
        )
