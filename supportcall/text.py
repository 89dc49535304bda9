"""Text from clients: the one rule for what may be stored and shown, and how much of
it an error message may quote back.

Django-free, so that the HTTP endpoints (``supportcall.http.check_text``) and
the WebSocket requests (``calls.protocol.parse``) share it; each side turns
``BadText`` into its own error. An error that echoed a whole field would let a
client make the server send (and keep, for a client that does not read) as
much as it sends, and would put whatever it wrote into the logs: errors quote
an ``excerpt``.
"""

from __future__ import annotations

import re
from typing import Any

EXCERPT = 40

# Lone surrogates cannot be stored as UTF-8; C0 controls and DEL make no sense in
# a name or a field (tab, newline and carriage return are allowed in multi-line text).
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile("[\t\n\r]")


class BadText(ValueError):
    """The value is not text fit to store and show; the message names the field."""


class TooLong(BadText):
    """The text is fine but over its length (some limits answer ``too_large``)."""


def check(value: Any, name: str, max_length: int, *, multiline: bool = False) -> str:
    """``value`` if it is text fit to store and show, its length counted in characters."""
    if not isinstance(value, str):
        raise BadText(f"'{name}' must be a string")
    if _SURROGATE.search(value):
        raise BadText(f"'{name}' is not valid Unicode text")
    if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
        raise BadText(f"'{name}' contains control characters")
    if len(value) > max_length:
        raise TooLong(f"'{name}' is longer than {max_length} characters")
    return value


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr`` of at most ``limit`` characters of ``value``, marked when it was cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + "…"
