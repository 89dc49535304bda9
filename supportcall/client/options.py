"""What a visitor and an agent share: where the server is and how long to wait.

::

    options = Options("http://127.0.0.1:8000", fallbacks=("http://127.0.0.1:8001",))
    visitor = Visitor(options, site="demo")
    agent = Agent(options, "alice", "secret")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

DEFAULT_TIMEOUT = 10.0
DEFAULT_OP_TIMEOUT = 20.0


@dataclasses.dataclass(frozen=True)
class Options:
    """Settings of one client; immutable, so one object can serve many clients.

    ``ice_servers``: ``None`` uses the servers the supportcall server hands out
    at login (none by default); a list (``[{"urls": "turn:..."}]``) replaces
    them. Either way aiortc's built-in public STUN server is never used.
    ``ice_transport_policy``: ``None`` follows the server's ``hello`` (``all``
    unless the server says ``relay``); ``"relay"`` uses relayed candidates only.
    ``tone_hz``: the test tone this party sends; ``None`` picks 440 Hz for a
    visitor and 660 Hz for an agent, so that each side's audio is told apart.
    ``quality_interval``: seconds between two ``call.quality`` reports; ``None``
    follows the server's ``hello`` (a probe may report more often, down to the
    server's minimum interval).
    """

    server: str
    fallbacks: Sequence[str] = ()
    ice_servers: Sequence[Mapping[str, Any]] | None = None
    ice_transport_policy: str | None = None
    timeout: float = DEFAULT_TIMEOUT  # each login, handshake and request/ack
    op_timeout: float = DEFAULT_OP_TIMEOUT  # an operation's op.result
    resume: bool = True  # reconnect and resume after a dropped connection
    tone_hz: float | None = None
    quality_interval: float | None = None

    @classmethod
    def of(cls, value: Options | str) -> Options:
        """``value`` itself, or the options of a bare server URL."""
        return value if isinstance(value, Options) else cls(server=value)

    def replace(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)


class ConnectionState(StrEnum):
    """This client's own WebSocket to the server (``Client.connection_state``),
    named as aiortc names ``RTCPeerConnection.connectionState``."""

    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # dropped; resuming within the server's grace period
    CLOSED = "closed"
