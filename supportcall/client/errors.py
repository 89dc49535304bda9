"""Exceptions raised by the supportcall Python client.

Every exception derives from :class:`SupportCallError`, so a bot can catch
them all in one place; the subclasses carry the server's own code and message
so a test can assert on exactly what the server said.
"""

from __future__ import annotations


class SupportCallError(Exception):
    """Base class of every error raised by :mod:`supportcall.client`."""


class ServerUnreachable(SupportCallError):
    """The server could not be reached at all (refused, DNS, timeout)."""


class LoginError(SupportCallError):
    """The HTTP login was refused; carries the server's ``{"error": ...}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"login refused ({status} {code}): {message}")
        self.status = status
        self.code = code
        self.message = message


class SignalingClosed(SupportCallError):
    """The WebSocket closed: at ``auth`` (4401, 4403) or later."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        text = f"signaling connection closed (code {code})"
        if reason:
            text += f": {reason}"
        super().__init__(text)
        self.code = code
        self.reason = reason


class CallError(SupportCallError):
    """The server refused a request: ``{"type": "error"}`` with its ``code``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class OperationFailed(CallError):
    """An operation (``call.accept``, ``call.hold``...) failed: refused at once
    with an ``error`` answer, or finished with ``op.result`` ``ok: false``
    (``timeout`` when the other party never answered a re-offer)."""

    def __init__(self, code: str, message: str = "", op: str | None = None) -> None:
        super().__init__(code, message)
        self.op = op


class CallEnded(SupportCallError):
    """A wait could not finish because the call ended first."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(f"call ended ({reason})")
        self.reason = reason


class MediaFailed(CallEnded):
    """The call's media never connected (ICE failed, or nothing connected within the
    server's ``media_timeout``): a firewall or NAT blocks the call, or the TURN relay
    refused the credential. The call ends ``media_failed`` for both parties."""

    def __init__(self, message: str = "") -> None:
        SupportCallError.__init__(self, message or "your network blocks the call (media_failed)")
        self.reason = "media_failed"
