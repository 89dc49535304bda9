"""Sending services' events through the channel layer, after their transaction commits."""

from __future__ import annotations

from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from supportcall import metrics
from supportcall.db import in_db

from . import connections
from .change import BATCH, EVENT, Delivery


def message(event: dict[str, Any], skip: str = "", kind: str = EVENT) -> dict[str, Any]:
    """The channel-layer message for a consumer's handler: ``call_event`` relays the event to
    its client, ``call_route`` keeps it for itself."""
    return {"type": kind, "event": event, "skip": skip}


def batched(outbox: list[Delivery]) -> list[dict[str, Any]]:
    """The outbox as sends (``to``, ``group``, ``message``), each destination's deliveries
    in one ``call.batch`` message (``call_batch``) where there are several: an operation
    tells one connection several things (its route, the answer, the new state, the
    result), and each message through the layer costs (a Redis round trip).

    Each connection must get its events in the outbox's order. Deliveries to different
    channels reach different connections and may be batched across each other; a group
    may hold any channel, so a group delivery is a barrier nothing is moved across
    (consecutive ones to the same group are batched). Deliveries ``unordered`` (no call's
    state) are no barrier: they go last.
    """
    sends: list[dict[str, Any]] = []
    pending: dict[tuple[str, bool, str], list[Delivery]] = {}

    def flush() -> None:
        for (to, group, skip), items in pending.items():
            if len(items) == 1:
                body = message(items[0].event, skip, items[0].kind)
            else:
                body = {"type": BATCH, "items": [[d.kind, d.event] for d in items], "skip": skip}
            sends.append({"to": to, "group": group, "message": body})
        pending.clear()

    last: tuple[str, bool, str] | None = None
    ordered = [item for item in outbox if not item.unordered]
    for item in ordered + [item for item in outbox if item.unordered]:
        key = (item.to, item.group, item.skip)
        if item.group and key != last:
            flush()
        pending.setdefault(key, []).append(item)
        last = key
    flush()
    return sends


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
    for send in batched(outbox):
        if send["group"]:
            await layer.group_send(send["to"], send["message"])
            continue
        try:
            await layer.send(send["to"], send["message"])
        except ChannelFull:
            metrics.channel_send_failed()
            if send["to"] not in overflowed:
                overflowed.append(send["to"])
    if overflowed and resync:
        outcome = await in_db(connections.events_lost)(overflowed)
        await deliver(outcome.outbox, resync=False)
