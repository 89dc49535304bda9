"""Client input quoted back in an error message: never more than a short excerpt.

An error that echoed a whole field would let a client make the server send
(and keep, for a client that does not read) as much as it sends, and puts
whatever it wrote into the logs.
"""

from __future__ import annotations

from typing import Any

EXCERPT = 40


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr`` of at most ``limit`` characters of ``value``, marked when it was cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + "…"
