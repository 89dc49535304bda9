"""Sending services' events through the channel layer, after their transaction commits."""

from __future__ import annotations

from typing import Any

from channels.layers import get_channel_layer

from .services import Delivery


def message(event: dict[str, Any], skip: str = "") -> dict[str, Any]:
    """The channel-layer message a consumer's ``call_event`` handler relays to its client."""
    return {"type": "call.event", "event": event, "skip": skip}


async def deliver(outbox: list[Delivery]) -> None:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    for item in outbox:
        if item.group:
            await layer.group_send(item.to, message(item.event, item.skip))
        else:
            await layer.send(item.to, message(item.event))
