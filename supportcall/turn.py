"""Short-lived TURN credentials, in the scheme coturn calls the "TURN REST API".

coturn runs with ``use-auth-secret`` and ``static-auth-secret=<secret>``; the
server shares that secret and hands every login and every WebSocket ``hello``
a credential of its own::

    username = "<unix time it expires>:<identity>"
    password = base64(HMAC-SHA1(secret, username))

coturn recomputes the password from the username and refuses it once the time
in it has passed, so a credential copied out of a page is worth little: it
names who it was given to and dies with its lifetime. No shared password
ever reaches a browser, which is what keeps the relay from being an open one.

Pure code, no Django: ``supportcall/settings.py`` uses :func:`check_secret` and
:func:`check_urls` to refuse a bad configuration at start, and the login view
and the consumer build their lists with :func:`ice_servers`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

# Shorter secrets can be brute-forced from one captured credential (HMAC-SHA1
# is fast); `openssl rand -hex 32` gives 64 characters.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8
# A lifetime shorter than this cannot outlast a login; longer than this is no
# longer "short-lived" (and outlives any token).
MIN_TTL = 60
MAX_TTL = 7 * 24 * 3600
TRANSPORT_POLICIES = ("all", "relay")

# RFC 7064 / 7065 URIs, as browsers and aiortc accept them.
_URL = re.compile(
    r"(?P<scheme>stun|stuns|turn|turns):(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?"
)


def check_secret(secret: str) -> str:
    """``secret`` if it is long and varied enough to share with coturn; else ValueError."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"must be at least {MIN_SECRET_LENGTH} characters (make one with: openssl rand -hex 32)"
        )
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        raise ValueError("is too regular to be a secret (make one with: openssl rand -hex 32)")
    return secret


def check_urls(urls: Iterable[str]) -> list[str]:
    """The STUN and TURN URLs, checked: ``turn:host:3478?transport=udp``, ``turns:host:443``."""
    checked = []
    for url in urls:
        url = url.strip()
        match = _URL.fullmatch(url)
        if match is None:
            raise ValueError(
                f"{url!r} is not a STUN or TURN URL (turn:host:port?transport=udp|tcp, "
                "turns:host:port, stun:host:port)"
            )
        if match["port"] and not 0 < int(match["port"]) < 65536:
            raise ValueError(f"{url!r} has no valid port")
        if match["scheme"].startswith("stun") and match["transport"]:
            raise ValueError(f"{url!r}: a STUN URL takes no transport")
        checked.append(url)
    return checked


def is_relay_url(url: str) -> bool:
    return url.startswith(("turn:", "turns:"))


def credential(secret: str, identity: str, expires: int) -> tuple[str, str]:
    """The ``(username, password)`` coturn accepts for ``identity`` until ``expires``."""
    username = f"{expires}:{identity}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def expiry(username: str) -> int:
    """The unix time a REST API username expires at (the part before the first ``:``)."""
    stamp, _, _ = username.partition(":")
    return int(stamp)


def ice_servers(
    *,
    identity: str,
    now: float,
    secret: str,
    urls: Iterable[str],
    ttl: int,
    static: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The ``iceServers`` for one login or connection: STUN URLs as they are, the TURN
    URLs with a credential of ``identity``'s that expires ``ttl`` seconds after ``now``,
    then the static list (``SUPPORTCALL_ICE_SERVERS``) unchanged."""
    urls = list(urls)
    stun = [url for url in urls if not is_relay_url(url)]
    turn = [url for url in urls if is_relay_url(url)]
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": stun})
    if turn:
        username, password = credential(secret, identity, int(now) + ttl)
        servers.append({"urls": turn, "username": username, "credential": password})
    servers.extend(dict(server) for server in static)
    return servers
