"""What a client needs to connect media: the ICE servers (with a TURN credential of
its own) and the relay policy, for the login response and every ``hello``."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from supportcall import turn


def ice_config(identity: str) -> dict[str, Any]:
    """``ice_servers``, ``ice_transport_policy`` and ``media_timeout`` for ``identity``,
    with a fresh TURN credential when coturn is configured."""
    servers = turn.ice_servers(
        identity=identity,
        now=time.time(),
        secret=settings.SUPPORTCALL_TURN_SECRET,
        urls=settings.SUPPORTCALL_TURN_URLS if settings.SUPPORTCALL_TURN_SECRET else [],
        ttl=settings.SUPPORTCALL_TURN_TTL,
        static=settings.SUPPORTCALL_ICE_SERVERS,
    )
    return {
        "ice_servers": servers,
        "ice_transport_policy": settings.SUPPORTCALL_ICE_TRANSPORT_POLICY,
        "media_timeout": settings.SUPPORTCALL_MEDIA_TIMEOUT,
    }
