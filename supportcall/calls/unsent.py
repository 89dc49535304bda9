"""A bound on what each WebSocket has sent but its client has not read (daphne).

ASGI has no back-pressure: daphne's ``websocket.send`` hands the frame to
autobahn, which writes it to Twisted's transport, and a transport whose socket
is full (the client does not read) keeps everything in the server's memory,
without limit and for as long as the connection lives. Daphne's own keepalive
does not help: it pings only a connection that has sent nothing for
``--ping-interval`` seconds, and a client that pings us never is.

``install`` makes daphne's WebSocket protocol check, before each frame, how
much its transport still holds. Past ``SUPPORTCALL_WS_UNSENT`` bytes the frame
is dropped and the connection closed with ``Close.UNREAD`` (4008): a client
that reads again gets the close after what was already buffered and resumes;
one that does not is cut off ``CLOSE_WAIT`` seconds later, and its memory goes
with it. The consumer then gets its disconnect as for any drop (resume grace).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from supportcall.vocabulary import Close

log = logging.getLogger(__name__)

# How long a connection closed for not reading may take to read up to its close frame.
CLOSE_WAIT = 10.0


def unsent(transport: Any) -> int:
    """Bytes a Twisted transport holds that its socket has not taken yet (under TLS,
    daphne's protocol writes to a TLS protocol whose own transport is the socket's)."""
    if not hasattr(transport, "dataBuffer") and hasattr(transport, "transport"):
        return unsent(transport.transport)
    buffered = getattr(transport, "dataBuffer", b"")
    offset = getattr(transport, "offset", 0)
    return len(buffered) - offset + getattr(transport, "_tempDataLen", 0)


def install() -> None:
    """Bound daphne's WebSocket output (a no-op where daphne is not the server)."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    if getattr(WebSocketProtocol, "supportcall_bounded", False):
        return
    send = WebSocketProtocol.serverSend

    def server_send(self: Any, content: Any, binary: bool = False) -> None:
        if self.state == self.STATE_OPEN:
            held = unsent(self.transport)
            if held + len(content) > settings.SUPPORTCALL_WS_UNSENT:
                log.warning(
                    "closing a WebSocket that is not reading (%s): %d bytes unsent",
                    self.client_addr,
                    held,
                )
                self.closeHandshakeTimeout = CLOSE_WAIT
                self.sendClose(code=Close.UNREAD)
                return
        send(self, content, binary)

    WebSocketProtocol.serverSend = server_send
    WebSocketProtocol.supportcall_bounded = True
