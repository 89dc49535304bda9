"""Sending services' events through the channel layer, after their transaction commits."""

from __future__ import annotations

from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from supportcall import metrics
from supportcall.db import in_db

from . import connections
from .change import EVENT, Delivery


def message(event: dict[str, Any], skip: str = "", kind: str = EVENT) -> dict[str, Any]:
    """The channel-layer message for a consumer's handler: ``call_event`` relays the event to
    its client, ``call_route`` keeps it for itself."""
    return {"type": kind, "event": event, "skip": skip}


async def deliver(outbox: list[Delivery], resync: bool = True) -> None:
    """Send each event; a connection whose channel is full has lost one: it must resync.

    The channel layer drops what it cannot queue (a stalled consumer, a backlog
    over capacity). The call must not go on as if that event had arrived: the
    connection is treated as dropped (the other party sees it reconnecting) and
    closed at its next ping, so its client resumes and gets every call replayed.
    """
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    overflowed: list[str] = []
    for item in outbox:
        if item.group:
            await layer.group_send(item.to, message(item.event, item.skip, item.kind))
            continue
        try:
            await layer.send(item.to, message(item.event, kind=item.kind))
        except ChannelFull:
            metrics.channel_send_failed()
            if item.to not in overflowed:
                overflowed.append(item.to)
    if overflowed and resync:
        outcome = await in_db(connections.events_lost)(overflowed)
        await deliver(outcome.outbox, resync=False)
