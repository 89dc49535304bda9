"""The signature receivers check: HMAC-SHA256 over ``"<timestamp>.<raw body>"``.

The header is ``Supportcall-Signature: t=<unix seconds>,v1=<hex digest>``
(docs/webhooks.md has the receiver's side, in Python).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Supportcall-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """Whether ``value`` (the header) signs ``body`` with ``secret``, made within
    ``tolerance`` seconds of ``now``: what a receiver does (and the tests)."""
    try:
        parts = dict(part.split("=", 1) for part in value.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))
