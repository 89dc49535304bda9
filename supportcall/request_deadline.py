"""A deadline for an HTTP request's head (daphne).

Twisted's idle timeout, which daphne keeps, starts again with every byte, so
a client that sends its request line and headers a byte at a time (a
"slowloris") holds a connection, and some memory, for as long as it likes;
thousands of them hold the server. ``install`` gives each request on a
connection ``SUPPORTCALL_HTTP_HEADER_TIMEOUT`` seconds, counted from the
connection (or the previous request's end), to finish its head; a connection
still reading one then is closed. The body and the response are daphne's
``--http-timeout`` (see docs/deployment.md); a proxy in front bounds all of
it too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def install() -> None:
    """Give every request's head a deadline (a no-op where daphne is not the server)."""
    try:
        from daphne.http_protocol import HTTPFactory
        from twisted.internet import reactor
    except ImportError:
        return
    if getattr(HTTPFactory, "supportcall_deadline", False):
        return
    build = HTTPFactory.buildProtocol

    def build_protocol(self: Any, addr: Any) -> Any:
        protocol = build(self, addr)
        # Twisted hands out a wrapper that picks HTTP/1.1 or HTTP/2; the channel is inside.
        channel = getattr(protocol, "_channel", protocol)
        made, done = channel.connectionMade, channel.requestDone
        clock = [0]  # which head the pending deadline is for: older ones are void

        def expire(head: int) -> None:
            # Still reading that head (no request being handled), and still connected.
            if head == clock[0] and not channel._handlingRequest and channel.transport:
                channel.transport.abortConnection()

        def start_clock() -> None:
            clock[0] += 1
            timeout = settings.SUPPORTCALL_HTTP_HEADER_TIMEOUT
            reactor.callLater(timeout, expire, clock[0])  # type: ignore[attr-defined]

        def connection_made() -> None:
            made()
            start_clock()

        def request_done(request: Any) -> None:
            done(request)
            start_clock()  # the next request on a kept-alive connection gets its own

        channel.connectionMade, channel.requestDone = connection_made, request_done
        return protocol

    HTTPFactory.buildProtocol = build_protocol
    HTTPFactory.supportcall_deadline = True
