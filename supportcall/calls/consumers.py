"""The WebSocket ``/ws/v1/calls``: framing, limits, timers and delivery; the rest is services.

The consumer keeps no call state and decides nothing: its first frame goes to
``connections.authenticate``, every request after it to one service function,
and what they return (an ack, events) is sent on. Events for this connection
come back through the channel layer (``call_event``), so it does not matter
which process serves the other party.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from supportcall.db import in_db
from supportcall.precall.echo import Check
from supportcall.vocabulary import LEAVING_CLOSES, Close, ErrorCode, Media, Role

from . import connections, events, protocol
from .change import ROUTE, Actor, Delivery, Outcome, party_group, targets_group
from .connections import process_group
from .delivery import deliver
from .machine import CallError
from .routes import Routes

log = logging.getLogger(__name__)

# Tries at recording a drop while the database refuses (about two minutes in all).
DROP_ATTEMPTS = 30
# What sending on a connection whose close has begun raises: daphne's (autobahn's)
# Disconnected, or the OSError the ASGI spec asks of servers.
SEND_CLOSED = (Disconnected, OSError)


class CallConsumer(AsyncJsonWebsocketConsumer):
    """One client's WebSocket.

    ``receive`` frames (rate limit, size, JSON) and hands the content to
    ``receive_json``: the first frame authenticates, ``ping`` is the
    heartbeat, anything else is a request. Two timers close a connection
    that never authenticates or goes silent; ``call_event``, ``call_route``,
    ``connection_close`` and ``connection_check`` are what the channel layer
    brings. ``routes`` is where its answered calls' candidates go (routes.py).
    """

    actor: Actor | None = None
    typing_since, typing_count = 0.0, 0  # chat.typing frames in the current window
    dropped = False
    watching = False  # in the targets group (targets.watch)
    closed = False  # the close has begun, on either side: nothing more is sent

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        inbox = Inbox()
        admit = asyncio.create_task(self._admit(receive, inbox))
        try:
            await super().__call__(scope, inbox.get, send)
        finally:
            admit.cancel()
            # A consumer that died (a channel-layer error) never got websocket.disconnect:
            # its party must still get its grace period, and its calls their end.
            if self.actor is not None and not self.dropped:
                try:
                    await self._drop()
                except Exception:
                    log.exception("could not drop %s's connection", self.actor.identity)

    async def _admit(self, receive: Any, inbox: Inbox) -> None:
        """Frames are counted as they arrive, not as they are acted on.

        Channels reads the next message only once the last one is handled, so a
        flood would wait in the server's queue and meet the rate limit at the
        pace of the database: every frame would still be acted on. Here each
        frame is read at once; one over SUPPORTCALL_WS_RATE a second, or with
        SUPPORTCALL_WS_BACKLOG frames still waiting, is refused ``rate_limited``
        without any database work (its error goes out in order, see ``Inbox``).
        """
        loop = asyncio.get_running_loop()
        window_start, window_frames = 0.0, 0
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                now = self.last_frame = loop.time()
                if now - window_start >= 1.0:
                    window_start, window_frames = now, 0
                window_frames += 1
                if window_frames > settings.SUPPORTCALL_WS_RATE:
                    inbox.refuse(f"at most {settings.SUPPORTCALL_WS_RATE} frames a second")
                    continue
                if inbox.frames >= settings.SUPPORTCALL_WS_BACKLOG:
                    inbox.refuse("wait for answers before sending more frames")
                    continue
            inbox.put(message)
            if message["type"] == "websocket.disconnect":
                return

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own, without its hop to the database thread before every message.

        Channels closes stale database connections before each handler, in the
        process's one database thread: a ping or a candidate would then wait
        behind every other connection's database work, and a WebSocket's
        handshake with it (daphne gives up after 5 s). This consumer touches the
        database only through ``in_db``, which does that closing itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_refused(self, message: dict[str, Any]) -> None:
        """Frames ``_admit`` refused, answered where they came among the others."""
        for _ in range(message["count"]):
            await self._error(ErrorCode.RATE_LIMITED, message["message"])

    async def connect(self) -> None:
        self.routes = Routes()
        self.check = Check(self.send_json)
        self.last_frame = asyncio.get_running_loop().time()
        await self.accept()
        self.origin = _header(self.scope, b"origin")
        self.host = _header(self.scope, b"host")
        # Timers, not tasks: thousands of idle connections each hold two (a task and its
        # coroutine cost about ten times a timer's memory).
        loop = asyncio.get_running_loop()
        self.auth_timer = loop.call_later(settings.SUPPORTCALL_AUTH_TIMEOUT, self._close_if_silent)
        self.idle_timer = loop.call_later(settings.SUPPORTCALL_IDLE_TIMEOUT, self._close_if_dead)
        await self.channel_layer.group_add(process_group(), self.channel_name)

    def _close_if_silent(self) -> None:
        if self.actor is None:
            self._close_soon(Close.UNAUTHORIZED)

    def _close_if_dead(self) -> None:
        """A client pings every SUPPORTCALL_PING_INTERVAL: silence means a lid closed."""
        loop = asyncio.get_running_loop()
        due = self.last_frame + settings.SUPPORTCALL_IDLE_TIMEOUT
        if loop.time() >= due:
            self._close_soon(Close.IDLE)
        else:  # a frame came meanwhile: look again when the silence could be long enough
            self.idle_timer = loop.call_later(max(0.05, due - loop.time()), self._close_if_dead)

    def _close_soon(self, code: int) -> None:
        self.closing = asyncio.ensure_future(self.close(code))  # kept: tasks are weakly held

    async def disconnect(self, code: int) -> None:
        self.closed = True
        await self.check.end(None)
        self.auth_timer.cancel()
        self.idle_timer.cancel()
        await self.channel_layer.group_discard(process_group(), self.channel_name)
        if self.actor is not None:
            await self.channel_layer.group_discard(
                party_group(self.actor.identity), self.channel_name
            )
            if self.watching:
                await self.channel_layer.group_discard(targets_group(), self.channel_name)
            # A normal close (1000, or 1001 from a closing page) is the client leaving;
            # anything else (1006: the network went) may come back and resume.
            await self._drop(leaving=code in LEAVING_CLOSES)

    async def _drop(self, leaving: bool = False) -> None:
        """Record the drop; a database that refuses for a while only delays it.

        Until it is recorded this process's sweeper keeps vouching for the
        connection, so giving up would leave its calls open for good.
        """
        assert self.actor is not None
        self.dropped = True
        delay = 0.5
        for _ in range(DROP_ATTEMPTS):
            try:
                outcome = await in_db(connections.disconnect)(self.actor, leaving=leaving)
                break
            except Exception:
                log.exception("recording %s's drop failed; retrying", self.actor.identity)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        else:
            return
        await deliver(outcome.outbox)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Framing: JSON text frames of at most SUPPORTCALL_MAX_FRAME bytes (the rate is
        ``_admit``'s). A frame that breaks a limit, or is binary, is answered with an
        error; so is one that is not JSON, unless it is the first (``authenticate``
        refuses it)."""
        if text_data is None:
            await self._error(ErrorCode.BAD_REQUEST, "send JSON text frames")
            return
        if len(text_data.encode()) > settings.SUPPORTCALL_MAX_FRAME:
            limit = settings.SUPPORTCALL_MAX_FRAME
            await self._error(ErrorCode.TOO_LARGE, f"frames are limited to {limit} bytes")
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
            if self.actor is not None:
                await self._error(ErrorCode.BAD_REQUEST, "the frame is not JSON the server reads")
                return
            content = None
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.actor is None:
            await self._authenticate(content)
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self._ping(content)
        else:
            await self._handle(content)

    async def _authenticate(self, content: Any) -> None:
        """``auth`` with a login ``token``, or a ``resume_token`` (see connections.authenticate)."""
        token, kind = protocol.auth(content)
        try:
            session = await in_db(connections.authenticate)(
                token, kind, self.origin, self.channel_name, host=self.host
            )
        except connections.Refused as e:
            log.info("refused a WebSocket: %s", e)
            await self.close(e.close)
            return
        self.actor = session.actor
        self.auth_timer.cancel()
        await self.channel_layer.group_add(party_group(self.actor.identity), self.channel_name)
        await self.send_json(session.hello)
        # Waiting calls may ring this agent now, and a resumed party's calls are
        # replayed: only once it has its hello.
        await deliver(self._own_routes(session.outcome.outbox))
        if session.replaced:
            await self.channel_layer.send(
                session.replaced, {"type": "connection.close", "code": Close.REPLACED}
            )

    async def _ping(self, content: dict[str, Any]) -> None:
        """The heartbeat: no database work (the process vouches for all its connections at
        once, and closes those that lost events itself: see sweeper.watch_connections)."""
        await self.send_json(protocol.ack(protocol.request_id(content)))

    async def _handle(self, content: Any) -> None:
        request_id = protocol.request_id(content)
        try:
            request = protocol.parse(content)
            if request.type in protocol.CHECK_REQUESTS:
                await self.send_json(protocol.ack(request_id, **await self._check(request)))
                return
            if request.type in protocol.WATCH_REQUESTS:
                await self._watch(request.type == "targets.watch")
                await self.send_json(protocol.ack(request_id))
                return
            if await self._relay(request_id, request):
                return
            outcome = await in_db(self._dispatch)(request)
        except CallError as e:
            await self.send_json(protocol.error(request_id, e.code, e.message))
            return
        except Exception:
            log.exception("failed to handle %s", content.get("type"))
            await self.send_json(
                protocol.error(
                    request_id, ErrorCode.INTERNAL_ERROR, "the server failed; see its log"
                )
            )
            return
        outbox = self._own_routes(outcome.outbox)
        await self.send_json(protocol.ack(request_id, **outcome.result))
        await deliver(outbox)

    async def _relay(self, request_id: str | None, request: protocol.Request) -> bool:
        """An answered call's candidate, or typing indicator, goes straight to the other
        party when its route is known; False: the database's way
        (``operations.relay_candidate``, ``chat.typing``) must say."""
        if request.type == "chat.typing":
            self._count_typing()
            assert request.call_id is not None
            event = events.chat_typing(request.call_id, request.fields["typing"])
        elif request.type == "ice.candidate":
            assert request.call_id is not None
            event = events.candidate(request.call_id, request.fields["candidate"])
        else:
            return False
        peer = self.routes.peer(str(request.call_id))
        if not peer:
            return False
        await self.send_json(protocol.ack(request_id, call_id=str(request.call_id)))
        await deliver([Delivery(peer, event)])
        return True

    async def _check(self, request: protocol.Request) -> dict[str, Any]:
        """``check.*``: the echo peer this connection holds (supportcall/precall/echo.py)."""
        assert self.actor is not None
        fields = request.fields
        if request.type == "check.start":
            media = fields.get("media") or Media.AUDIO_SINGLE
            return await self.check.start(self.actor.identity, sdp=fields["sdp"], media=media)
        if request.type == "check.candidate":
            await self.check.candidate(fields["candidate"])
        else:
            await self.check.stop()
        return {}

    async def _watch(self, on: bool) -> None:
        """``targets.watch`` / ``targets.unwatch``: join or leave the group told when who is
        free may have changed (``change.free_changed``). Agents only; no database."""
        assert self.actor is not None
        if self.actor.role != Role.AGENT:
            raise CallError(ErrorCode.FORBIDDEN, "only agents forward and transfer calls")
        if on:
            await self.channel_layer.group_add(targets_group(), self.channel_name)
        elif self.watching:
            await self.channel_layer.group_discard(targets_group(), self.channel_name)
        self.watching = on

    def _count_typing(self) -> None:
        """SUPPORTCALL_CHAT_TYPING_RATE a window, per connection: typing is never stored, so
        the connection counts it (as ``_admit`` counts frames)."""
        now = asyncio.get_running_loop().time()
        if now - self.typing_since >= settings.SUPPORTCALL_CHAT_WINDOW:
            self.typing_since, self.typing_count = now, 0
        self.typing_count += 1
        if self.typing_count > settings.SUPPORTCALL_CHAT_TYPING_RATE:
            window = settings.SUPPORTCALL_CHAT_WINDOW
            raise CallError(
                ErrorCode.RATE_LIMITED,
                f"at most {settings.SUPPORTCALL_CHAT_TYPING_RATE} chat.typing every {window:g} s",
            )

    def _own_routes(self, outbox: list[Delivery]) -> list[Delivery]:
        """Learn at once the routes for this connection (its next frame may need them); the
        rest is for others."""
        others = []
        for item in outbox:
            if item.kind == ROUTE and item.to == self.channel_name:
                self.routes.learn(item.event)
            else:
                others.append(item)
        return others

    def _dispatch(self, request: protocol.Request) -> Outcome:
        """Run the one service a request calls for (in the database thread)."""
        assert self.actor is not None
        return protocol.handle(self.actor, request)

    async def call_event(self, message: dict[str, Any]) -> None:
        """An event for this connection, from any process."""
        if message.get("skip") != self.channel_name:
            await self.send_json(message["event"])

    async def call_batch(self, message: dict[str, Any]) -> None:
        """Several events and routes for this connection, in the order they were sent."""
        for kind, event in message["items"]:
            if kind == ROUTE:
                self.routes.learn(event)
            elif message.get("skip") != self.channel_name:
                await self.send_json(event)

    async def call_route(self, message: dict[str, Any]) -> None:
        """Where one of this connection's calls sends candidates now (see routes.py)."""
        self.routes.learn(message["event"])

    async def connection_check(self, message: dict[str, Any]) -> None:
        """This process was taken for dead and came back: a connection whose row did not
        survive no longer speaks for its party and must resume."""
        if self.actor is not None and not await in_db(connections.bound)(self.channel_name):
            await self.close(Close.RESYNC)

    async def connection_close(self, message: dict[str, Any]) -> None:
        """Told to go: this process shuts down (4012), or the party resumed elsewhere (4409)."""
        await self.close(message.get("code", Close.RESTART))

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Sending on a closed connection does nothing: an event may cross the close."""
        if self.closed:
            return
        try:
            await super().send_json(content, close)
        except SEND_CLOSED:
            # The client's close frame came in, its websocket.disconnect is on the way.
            self.closed = True

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        await super().close(code, reason)

    async def _error(self, code: ErrorCode, message: str) -> None:
        """A frame that could not be read: its error has no id."""
        await self.send_json(protocol.error(None, code, message))


class Inbox:
    """What the consumer reads instead of ASGI's ``receive``: the messages ``_admit`` let
    through and, in place of frames it refused, one ``websocket.refused`` message per
    run of them with their count, so the inbox holds at most twice the backlog."""

    def __init__(self) -> None:
        # A list and a future made only while waiting: an idle connection's inbox is
        # empty, and a deque and an Event would cost it over a kilobyte.
        self.messages: list[dict[str, Any]] = []
        self.frames = 0  # frames waiting to be acted on
        self.waiter: asyncio.Future[None] | None = None

    def put(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.frames += message["type"] == "websocket.receive"
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def refuse(self, why: str) -> None:
        last = self.messages[-1] if self.messages else None
        if last is not None and last["type"] == "websocket.refused" and last["message"] == why:
            last["count"] += 1
        else:
            self.put({"type": "websocket.refused", "message": why, "count": 1})

    async def get(self) -> dict[str, Any]:
        while not self.messages:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        message = self.messages.pop(0)  # at most twice the backlog: short
        self.frames -= message["type"] == "websocket.receive"
        return message


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None
