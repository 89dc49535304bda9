"""The ASGI application served by daphne: HTTP through Django, WebSockets through Channels."""

import asyncio
import contextvars
import logging
import os
import signal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportcall.settings")
# Set Django up first (as get_asgi_application does): the consumers import models.
django.setup(set_prefix=False)

from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from supportcall.calls import connections, liveness, sweeper  # noqa: E402
from supportcall.calls.models import Connection  # noqa: E402
from supportcall.calls.unsent import install as bound_unsent_output  # noqa: E402
from supportcall.db import in_db  # noqa: E402
from supportcall.page_requests import PageRequests  # noqa: E402
from supportcall.request_deadline import install as bound_request_heads  # noqa: E402
from supportcall.routing import websocket_urlpatterns  # noqa: E402
from supportcall.vocabulary import Close  # noqa: E402
from supportcall.webhooks import worker as webhook_worker  # noqa: E402

log = logging.getLogger(__name__)

# What daphne holds for a client that does not read is bounded (see unsent.py), and
# so is how long a request's head may take to arrive (request_deadline.py).
bound_unsent_output()
bound_request_heads()

# How long a stopping process waits for its WebSockets to close before it exits.
SHUTDOWN_WAIT = 10.0
CLOSE_FLUSH = 1.0


class Lifecycle:
    """Starts this process's sweeper and webhook worker on the first request, inside the
    server's event loop, and makes SIGTERM graceful: WebSockets are closed with 4012
    (restart) first, so that their clients resume on another process, and no call ends
    because of a deploy."""

    def __init__(self, app):
        self.app = app
        self.task: asyncio.Task | None = None
        self.webhooks: asyncio.Task | None = None
        self.stopping = False
        self.handler_installed = False
        self.registered = False

    async def __call__(self, scope, receive, send):
        if not self.registered and not self.stopping:
            # The process's own row, vouching for its connections, comes before any of them.
            await in_db(liveness.register)(connections.PROCESS)
            self.registered = True
        interval = settings.SUPPORTCALL_SWEEP_INTERVAL
        if interval > 0 and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(sweeper.run(interval))
            self._install_sigterm()
        posting = settings.SUPPORTCALL_WEBHOOK_INTERVAL
        if posting > 0 and (self.webhooks is None or self.webhooks.done()):
            self.webhooks = asyncio.create_task(webhook_worker.run(posting))
        if self.stopping and scope["type"] == "websocket":
            # Accept first: a close before the accept refuses the handshake (HTTP 403),
            # which tells the client nothing; 4012 tells it to resume elsewhere.
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": Close.RESTART})
            return None
        return await self.app(scope, receive, send)

    def _install_sigterm(self) -> None:
        """Daphne's reactor stops on SIGTERM; ours goes first (main thread, first request)."""
        if self.handler_installed:
            return
        self.handler_installed = True
        loop = asyncio.get_running_loop()
        try:
            previous = signal.getsignal(signal.SIGTERM)

            def on_sigterm(signum, frame):
                # A fresh context: the one the signal interrupted may be inside a database
                # call, and asgiref would refuse the shutdown's own ("would deadlock").
                loop.call_soon_threadsafe(
                    lambda: loop.create_task(self._shut_down(previous, signum, frame)),
                    context=contextvars.Context(),
                )

            signal.signal(signal.SIGTERM, on_sigterm)
        except ValueError:  # not the main thread (a test's communicator): nothing to stop
            pass

    async def _shut_down(self, previous, signum, frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        log.info("SIGTERM: closing this process's WebSockets with %s", Close.RESTART)
        try:
            layer = get_channel_layer()
            await layer.group_send(
                connections.process_group(), {"type": "connection.close", "code": Close.RESTART}
            )
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SHUTDOWN_WAIT
            # The rows are in the database, not in this loop: poll them.
            while loop.time() < deadline:
                if not await in_db(_holds_connections)():
                    break
                await asyncio.sleep(0.1)
            # Gone for good: no sweeper needs to find this process stale (unless it still
            # holds connections, whose row then goes stale and gets them dropped).
            await in_db(liveness.retire)(connections.PROCESS)
            # Let the close frames out before the reactor drops every socket.
            await asyncio.sleep(CLOSE_FLUSH)
        except Exception:
            log.exception("graceful shutdown failed; stopping anyway")
        signal.signal(signal.SIGTERM, previous)
        if callable(previous):
            previous(signum, frame)
        else:
            os.kill(os.getpid(), signal.SIGTERM)


def _holds_connections() -> bool:
    return Connection.objects.filter(process=connections.PROCESS).exists()


application = Lifecycle(
    ProtocolTypeRouter(
        {
            "http": PageRequests(),
            "websocket": URLRouter(websocket_urlpatterns),
        }
    )
)
