import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from supportcall.calls import sweeper
from supportcall.privacy import retention


class Command(BaseCommand):
    help = "Run the deadline sweeper on its own (when SUPPORTCALL_SWEEP_INTERVAL=0 in the servers)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=settings.SUPPORTCALL_SWEEP_INTERVAL or 1.0
        )
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, interval, once, **options):
        if once:
            sent = asyncio.run(sweeper.sweep_once())
            pruned = sweeper.prune()
            removed = sum(retention.apply().values())
            self.stdout.write(
                f"swept: {sent} events sent, {pruned} old tokens deleted, "
                f"{removed} rows past their sites' retention removed"
            )
            return
        # It holds no WebSockets: the servers' own loops vouch for theirs.
        asyncio.run(sweeper.run(interval, serving=False))
