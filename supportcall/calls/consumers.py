"""The WebSocket ``/ws/v1/calls``: authenticate, then relay requests to the call services.

The consumer keeps no call state: it holds who is connected (from the token)
and hands every request to one service function, which returns the ack and
the events to deliver. Events for this connection come back through the
channel layer, so it does not matter which process serves the other party.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from supportcall.directory.models import Agent, Site
from supportcall.tokens.issuing import InvalidToken, consume, issue_resume
from supportcall.tokens.models import Role
from supportcall.vocabulary import LEAVING_CLOSES, Close

from . import connections, operations, protocol
from .change import Actor, Outcome, party_group
from .delivery import deliver
from .machine import CallError

log = logging.getLogger(__name__)

# Tries at recording a drop while the database refuses (about two minutes in all).
DROP_ATTEMPTS = 30


def process_group() -> str:
    """Every connection this process holds: told to go at shutdown (see asgi.py)."""
    return f"process.{connections.PROCESS}"


class CallConsumer(AsyncWebsocketConsumer):
    actor: Actor | None = None
    dropped = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A consumer that died (a channel-layer error) never got websocket.disconnect:
            # its party must still get its grace period, and its calls their end.
            if self.actor is not None and not self.dropped:
                try:
                    await self._drop()
                except Exception:
                    log.exception("could not drop %s's connection", self.actor.identity)

    async def connect(self) -> None:
        self.window_start, self.window_frames = 0.0, 0
        self.last_frame = asyncio.get_running_loop().time()
        await self.accept()
        self.origin = _header(self.scope, b"origin")
        self.auth_timer = asyncio.create_task(self._close_if_silent())
        self.idle_timer = asyncio.create_task(self._close_if_dead())
        await self.channel_layer.group_add(process_group(), self.channel_name)

    async def _close_if_silent(self) -> None:
        await asyncio.sleep(settings.SUPPORTCALL_AUTH_TIMEOUT)
        if self.actor is None:
            await self.close(Close.UNAUTHORIZED)

    async def _close_if_dead(self) -> None:
        """A client pings every SUPPORTCALL_PING_INTERVAL: silence means a lid closed."""
        timeout = settings.SUPPORTCALL_IDLE_TIMEOUT
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, self.last_frame + timeout - loop.time()))
            if loop.time() - self.last_frame >= timeout:
                await self.close(Close.IDLE)
                return

    async def disconnect(self, code: int) -> None:
        self.auth_timer.cancel()
        self.idle_timer.cancel()
        await self.channel_layer.group_discard(process_group(), self.channel_name)
        if self.actor is not None:
            await self.channel_layer.group_discard(
                party_group(self.actor.identity), self.channel_name
            )
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
                outcome = await database_sync_to_async(connections.disconnect)(
                    self.actor, leaving=leaving
                )
                break
            except Exception:
                log.exception("recording %s's drop failed; retrying", self.actor.identity)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        else:
            return
        await deliver(outcome.outbox)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_frame = asyncio.get_running_loop().time()
        if self._over_rate():
            await self._reply(
                protocol.error(
                    None, "rate_limited", f"at most {settings.SUPPORTCALL_WS_RATE} frames a second"
                )
            )
            return
        if text_data is None:
            await self._reply(protocol.error(None, "bad_request", "send JSON text frames"))
            return
        if len(text_data.encode()) > settings.SUPPORTCALL_MAX_FRAME:
            await self._reply(
                protocol.error(
                    None,
                    "too_large",
                    f"frames are limited to {settings.SUPPORTCALL_MAX_FRAME} bytes",
                )
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
            if self.actor is not None:
                await self._reply(protocol.error(None, "bad_request", "the frame is not JSON"))
                return
        if self.actor is None:
            await self._authenticate(content)
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            if not await database_sync_to_async(connections.bound)(self.channel_name):
                await self.close(Close.RESYNC)
                return
            await self._reply(protocol.ack(protocol.request_id(content)))
            return
        await self._handle(content)

    def _over_rate(self) -> bool:
        """A one-second window per connection: a flood must not starve other calls."""
        now = asyncio.get_running_loop().time()
        if now - self.window_start >= 1.0:
            self.window_start, self.window_frames = now, 0
        self.window_frames += 1
        return self.window_frames > settings.SUPPORTCALL_WS_RATE

    async def _authenticate(self, content: Any) -> None:
        """``auth`` with a login ``token``, or with a ``resume_token`` to take a dropped
        connection's place (its calls come along)."""
        token, kind = None, "login"
        if isinstance(content, dict) and content.get("type") == "auth":
            token = content.get("token")
            if "resume_token" in content:
                token, kind = content.get("resume_token"), "resume"
        if not isinstance(token, str):
            await self.close(Close.UNAUTHORIZED)
            return
        try:
            actor, connected, resume_token = await database_sync_to_async(self._actor_from)(
                token, kind
            )
        except InvalidToken as e:
            log.info("refused a WebSocket: %s", e)
            await self.close(Close.UNAUTHORIZED)
            return
        except PermissionError as e:
            log.info("refused a WebSocket: %s", e)
            await self.close(Close.FORBIDDEN)
            return
        self.actor = actor
        self.auth_timer.cancel()
        await self.channel_layer.group_add(party_group(actor.identity), self.channel_name)
        await self._reply(
            {
                "type": "hello",
                "protocol": 1,
                "role": actor.role,
                "identity": actor.identity,
                "resume_token": resume_token,
                "resume_grace": settings.SUPPORTCALL_RESUME_GRACE,
                "ping_interval": settings.SUPPORTCALL_PING_INTERVAL,
                "ice_servers": settings.SUPPORTCALL_ICE_SERVERS,
                **(
                    {"presence": await database_sync_to_async(operations.chosen_presence)(actor)}
                    if actor.role == Role.AGENT
                    else {}
                ),
            }
        )
        # Waiting calls may ring this agent now, and a resumed party's calls are
        # replayed: only once it has its hello.
        await deliver(connected.outbox)
        if kind == "resume":
            # The old connection may still be open on some process (a half-dead TCP).
            await self.channel_layer.send(
                connected.result["replaced"],
                {"type": "connection.close", "code": Close.REPLACED},
            )

    def _actor_from(self, token: str, kind: str) -> tuple[Actor, Outcome, str]:
        claims = consume(token, kind)
        agent_id = None
        if claims.role == Role.VISITOR:
            site = Site.objects.filter(pk=claims.site_id or 0, enabled=True).first()
            if site is None or not site.allows_origin(self.origin):
                raise PermissionError(f"origin {self.origin} is not allowed for this site")
        else:
            agent_id = (
                Agent.objects.filter(user_id=claims.user_id or 0)
                .values_list("pk", flat=True)
                .first()
            )
            if agent_id is None:
                raise InvalidToken("the user is no longer an agent")
        actor = Actor(
            role=claims.role,
            identity=claims.identity,
            channel=self.channel_name,
            site_id=claims.site_id,
            agent_id=agent_id,
            targets=claims.targets,
            display_name=claims.display_name,
            context=claims.context,
        )
        if kind == "resume":
            outcome = connections.resume(actor, claims.replaces)
        else:
            outcome = connections.connect(actor)
        resume_token = issue_resume(
            actor.role,
            actor.identity,
            actor.channel,
            site_id=claims.site_id,
            user_id=claims.user_id,
            targets=claims.targets,
            display_name=claims.display_name,
            context=claims.context,
        )
        return actor, outcome, resume_token

    async def _handle(self, content: Any) -> None:
        request_id = protocol.request_id(content)
        try:
            request = protocol.parse(content)
            outcome = await database_sync_to_async(self._dispatch)(request)
        except CallError as e:
            await self._reply(protocol.error(request_id, e.code, e.message))
            return
        except Exception:
            log.exception("failed to handle %s", content.get("type"))
            await self._reply(
                protocol.error(request_id, "internal_error", "the server failed; see its log")
            )
            return
        await self._reply(protocol.ack(request_id, **outcome.result))
        await deliver(outcome.outbox)

    def _dispatch(self, request: protocol.Request) -> Outcome:
        """Run the one service a request calls for (in the database thread)."""
        assert self.actor is not None
        return protocol.handle(self.actor, request)

    async def call_event(self, message: dict[str, Any]) -> None:
        """An event for this connection, from any process."""
        if message.get("skip") != self.channel_name:
            await self._reply(message["event"])

    async def connection_close(self, message: dict[str, Any]) -> None:
        """Told to go: this process shuts down (1012), or the party resumed elsewhere."""
        await self.close(message.get("code", Close.RESTART))

    async def _reply(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None
