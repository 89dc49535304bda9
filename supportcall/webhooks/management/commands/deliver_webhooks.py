import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from supportcall.webhooks import worker


class Command(BaseCommand):
    help = (
        "Run the webhook delivery worker on its own (beside the servers' own, or instead of "
        "them with SUPPORTCALL_WEBHOOK_INTERVAL=0 there)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=settings.SUPPORTCALL_WEBHOOK_INTERVAL or 1.0
        )
        parser.add_argument(
            "--once", action="store_true", help="post what is due now, one at a time, and exit"
        )

    def handle(self, interval, once, **options):
        if once:
            posted = 0
            while ids := worker.claim(settings.SUPPORTCALL_WEBHOOK_BATCH):
                for delivery_id in ids:
                    worker.deliver(delivery_id)
                posted += len(ids)
            self.stdout.write(f"webhooks: {posted} posts, {worker.prune()} old events deleted")
            return
        asyncio.run(worker.run(interval))
