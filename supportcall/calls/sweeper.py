"""The sweeper: acts on passed deadlines stored in the database.

Every process may run it (and all at once): each call is re-checked under its
row lock, so a deadline is acted on exactly once, by whichever sweeper gets
there first. Nothing here sleeps on behalf of a particular call.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from . import services
from .delivery import deliver

log = logging.getLogger(__name__)


async def sweep_once() -> int:
    outcome = await database_sync_to_async(services.sweep)()
    await deliver(outcome.outbox)
    return len(outcome.outbox)


async def watch_connections() -> None:
    """Vouch for this process's connections, and treat those nobody vouches for as dropped."""
    kept = await database_sync_to_async(services.keep_alive)(services.PROCESS)
    await deliver(kept.outbox)
    outcome = await database_sync_to_async(services.drop_stale)()
    await deliver(outcome.outbox)


async def run(interval: float, serving: bool = True) -> None:
    """Sweep every ``interval`` seconds; ``serving``: this process holds WebSockets."""
    if "InMemoryChannelLayer" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        await database_sync_to_async(services.forget_connections)()
    while True:
        try:
            if serving:
                await watch_connections()
            await sweep_once()
        except Exception:  # a database hiccup must not stop the sweeper for good
            log.exception("sweep failed; trying again in %.1f s", interval)
        await asyncio.sleep(interval)
