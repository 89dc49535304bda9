"""A small in-process stand-in for the supportcall server, for the client's tests.

It follows the wire contract (``/work/shared/protocol.md``) closely enough to
drive every client path with real aiortc media: logins over HTTP (a thread),
``/ws/v1/calls`` with websockets, request ids with ack/error, call states per
party, re-offers relayed as ``call.offer`` / ``call.answer`` with an
``op.result`` timeout, mute as ``call.media``. Knobs let a test reorder events
the way a real, concurrent server may. It is no substitute for the real
server's own tests; the end-to-end suite runs the client against daphne.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import websockets
from websockets.asyncio.server import ServerConnection

DOMAIN = "example.test"
QUEUE = f"support@{DOMAIN}"
REOFFER_OPS = ("hold", "unhold", "video_start", "video_stop")


@dataclass
class Party:
    ws: ServerConnection
    role: str
    identity: str
    display_name: str = ""
    context: dict[str, str] = field(default_factory=dict)
    available: bool = True


@dataclass
class FakeCall:
    call_id: str
    media: str
    visitor: Party
    agent: Party | None = None
    offer: str | None = None
    phase: str = "initiated"
    held_by: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)
    video: set[str] = field(default_factory=set)
    pending_op: tuple[Party, str] | None = None
    pending_timer: asyncio.TimerHandle | None = None
    states: dict[str, str | None] = field(default_factory=dict)

    def other(self, party: Party) -> Party | None:
        return self.agent if party is self.visitor else self.visitor

    def state_of(self, party: Party) -> str:
        if self.phase != "in_call":
            return self.phase
        other = self.other(party)
        mine = party.identity in self.held_by
        theirs = other is not None and other.identity in self.held_by
        if mine and theirs:
            return "on_double_hold"
        if mine:
            return "on_hold"
        if theirs:
            return "remotely_held"
        return "in_call"


class FakeServer:
    def __init__(self) -> None:
        self.agents = {"alice": "secret", "bob": "secret"}
        self.sites = {"demo"}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.parties: dict[str, Party] = {}
        self.calls: dict[str, FakeCall] = {}
        self.received: list[dict[str, Any]] = []
        self.reoffer_timeout = 5.0
        # Knobs for event orderings a concurrent server may produce.
        self.drop_offers = False
        self.state_before_ack = False
        self.op_result_before_answer = False
        self.candidates_to_send: list[dict[str, Any] | None] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._ws_server: Any = None
        self.url = ""
        self.ws_url = ""

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        self._ws_server = await websockets.serve(self._handle, "127.0.0.1", 0)
        port = self._ws_server.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{port}/ws/v1/calls"
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    async def stop(self) -> None:
        for call in self.calls.values():
            if call.pending_timer:
                call.pending_timer.cancel()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
        if self._ws_server:
            self._ws_server.close()
            await self._ws_server.wait_closed()

    # -- HTTP ----------------------------------------------------------------

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    body = None
                status, answer = server.login(self.path, body, self.headers.get("Origin"))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def login(self, path: str, body: Any, origin: str | None) -> tuple[int, dict[str, Any]]:
        def error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
            return status, {"error": {"code": code, "message": message}}

        if not isinstance(body, dict):
            return error(400, "bad_request", "the body must be a JSON object")
        token = secrets.token_urlsafe(16)
        if path == "/api/v1/anonymous-login":
            if origin is not None:
                return error(403, "forbidden", "origin not allowed")
            if body.get("site") not in self.sites:
                return error(403, "forbidden", "unknown site")
            identity = f"anonymous-{secrets.token_hex(3)}@{DOMAIN}"
            grant = {
                "role": "visitor",
                "identity": identity,
                "display_name": body.get("display_name") or "",
                "context": body.get("context") or {},
            }
            extra: dict[str, Any] = {"targets": [QUEUE]}
        elif path == "/api/v1/agent-login":
            username = body.get("username")
            if self.agents.get(username) != body.get("password"):
                return error(401, "unauthorized", "wrong username or password")
            grant = {"role": "agent", "identity": f"{username}@{DOMAIN}"}
            extra = {}
        else:
            return error(404, "not_found", "no such endpoint")
        with self._lock:
            self.tokens[token] = grant
        return 201, {
            "token": token,
            "expires_in": 60,
            "identity": grant["identity"],
            "ws_url": self.ws_url,
            "ice_servers": [],
            **extra,
        }

    # -- WebSocket -------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except (TimeoutError, ValueError):
            await ws.close(4401, "auth required")
            return
        with self._lock:
            grant = self.tokens.pop(str(first.get("token")), None)
        if first.get("type") != "auth" or grant is None:
            await ws.close(4401, "bad token")
            return
        party = Party(
            ws,
            grant["role"],
            grant["identity"],
            grant.get("display_name", ""),
            grant.get("context", {}),
        )
        self.parties[party.identity] = party
        await self._send(
            party,
            {
                "type": "hello",
                "protocol": 1,
                "role": party.role,
                "identity": party.identity,
                "resume_token": "r",
                "ice_servers": [],
            },
        )
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    await self._send(
                        party,
                        {"type": "error", "id": None, "code": "bad_request", "message": "not JSON"},
                    )
                    continue
                self.received.append(message)
                await self._dispatch(party, message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.parties.pop(party.identity, None)

    async def _send(self, party: Party | None, message: dict[str, Any]) -> None:
        if party is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await party.ws.send(json.dumps(message))

    async def _ack(self, party: Party, message: dict[str, Any], **result: Any) -> None:
        await self._send(party, {"type": "ack", "id": message.get("id"), **result})

    async def _error(self, party: Party, message: dict[str, Any], code: str, text: str) -> None:
        await self._send(
            party, {"type": "error", "id": message.get("id"), "code": code, "message": text}
        )

    async def _states(
        self, call: FakeCall, reason: str | None = None, reasons: dict[str, str] | None = None
    ) -> None:
        for party in (call.visitor, call.agent):
            if party is None:
                continue
            state = call.state_of(party)
            previous = call.states.get(party.identity)
            if state == previous:
                continue
            call.states[party.identity] = state
            event = {
                "type": "call.state",
                "call_id": call.call_id,
                "state": state,
                "previous": previous,
            }
            if state == "ended":
                event["reason"] = (reasons or {}).get(party.identity, reason)
            await self._send(party, event)

    async def _dispatch(self, party: Party, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "presence.set":
            party.available = message.get("status") == "available"
            await self._ack(party, message)
            return
        if kind == "call.create":
            await self._create(party, message)
            return
        call = self.calls.get(str(message.get("call_id")))
        if not isinstance(kind, str) or not kind.startswith(("call.", "ice.")):
            await self._error(party, message, "bad_request", f"unknown type {kind!r}")
            return
        if call is None or party not in (call.visitor, call.agent):
            await self._error(party, message, "not_found", "no such call")
            return
        if kind == "call.answer":
            await self._answer(party, call, message)
        elif kind == "ice.candidate":
            await self._ack(party, message)
            await self._send(
                call.other(party),
                {
                    "type": "ice.candidate",
                    "call_id": call.call_id,
                    "candidate": message.get("candidate"),
                },
            )
        else:
            await self._operation(party, call, kind.removeprefix("call."), message)

    async def _create(self, party: Party, message: dict[str, Any]) -> None:
        if party.role != "visitor":
            await self._error(party, message, "forbidden", "only visitors create calls")
            return
        media = message.get("media")
        if media not in ("audio", "video", "audio_single"):
            await self._error(party, message, "bad_request", "bad media")
            return
        call_id = f"c{next(self._ids)}-{secrets.token_hex(4)}"
        call = FakeCall(call_id, media, party, offer=message.get("sdp"))
        self.calls[call.call_id] = call
        if media == "video":
            call.video.add(party.identity)
        if not self.state_before_ack:
            await self._ack(party, message, call_id=call.call_id)
        await self._states(call)
        if self.state_before_ack:
            await self._ack(party, message, call_id=call.call_id)
        to = message.get("to")
        agents = [p for p in self.parties.values() if p.role == "agent" and p.available]
        if to != QUEUE:
            agents = [p for p in agents if p.identity == to]
        if not agents:
            call.phase = "ended"
            await self._states(call, reason="no_agents")
            return
        await self._ring(call, agents[0])

    async def _ring(self, call: FakeCall, agent: Party) -> None:
        call.agent = agent
        call.phase = "ringing"
        visitor = call.visitor
        await self._send(
            agent,
            {
                "type": "call.incoming",
                "call_id": call.call_id,
                "from": {
                    "address": visitor.identity,
                    "display_name": visitor.display_name,
                    "anonymous": True,
                    "context": visitor.context,
                },
                "to": QUEUE,
                "media": call.media,
                "sdp": call.offer,
            },
        )
        call.states.pop(agent.identity, None)
        await self._states(call)
        for candidate in self.candidates_to_send:
            await self._send(
                agent, {"type": "ice.candidate", "call_id": call.call_id, "candidate": candidate}
            )

    async def _operation(
        self, party: Party, call: FakeCall, op: str, message: dict[str, Any]
    ) -> None:
        if call.phase == "ended":
            await self._error(party, message, "invalid_state", "the call has ended")
            return
        if call.pending_op is not None:
            await self._error(party, message, "operation_in_progress", "one at a time")
            return
        agent_only = op in ("accept", "reject", "ignore", "forward")
        if agent_only and party.role != "agent":
            await self._error(party, message, "forbidden", f"a visitor cannot {op}")
            return
        if agent_only and call.phase != "ringing":
            await self._error(party, message, "invalid_state", f"cannot {op} now")
            return
        state = call.state_of(party)
        if op in ("hold",) and state not in ("in_call", "remotely_held"):
            await self._error(party, message, "invalid_state", f"cannot hold in {state}")
            return
        if op == "unhold" and state not in ("on_hold", "on_double_hold"):
            await self._error(party, message, "invalid_state", f"cannot unhold in {state}")
            return
        if op in ("video_start", "video_stop") and call.media == "audio_single":
            await self._error(party, message, "not_supported", "audio_single call")
            return
        if op in ("mute", "unmute") and (party.identity in call.muted) == (op == "mute"):
            await self._error(party, message, "invalid_state", f"already {op}d")
            return
        if op not in (
            "accept",
            "reject",
            "ignore",
            "forward",
            "end",
            "mute",
            "unmute",
            *REOFFER_OPS,
        ):
            await self._error(party, message, "bad_request", f"unknown operation {op}")
            return
        await self._ack(party, message)
        other = call.other(party)
        if op in REOFFER_OPS:
            call.pending_op = (party, op)
            if not self.drop_offers:
                await self._send(
                    other,
                    {
                        "type": "call.offer",
                        "call_id": call.call_id,
                        "op": op,
                        "sdp": message.get("sdp"),
                    },
                )
            loop = asyncio.get_running_loop()
            call.pending_timer = loop.call_later(
                self.reoffer_timeout, lambda: asyncio.ensure_future(self._reoffer_timeout(call))
            )
            return
        await self._send(
            party, {"type": "op.result", "call_id": call.call_id, "op": op, "ok": True}
        )
        if op == "accept":
            if message.get("video"):
                call.video.add(party.identity)
            await self._send(
                call.visitor,
                {"type": "call.answer", "call_id": call.call_id, "sdp": message.get("sdp")},
            )
            call.phase = "in_call"
            await self._states(call)
        elif op in ("reject", "end"):
            call.phase = "ended"
            if op == "reject":
                await self._states(call, reason="rejected")
            else:
                await self._states(
                    call,
                    reasons={
                        party.identity: "ended_by_local",
                        **({other.identity: "ended_by_remote"} if other else {}),
                    },
                )
        elif op in ("mute", "unmute"):
            (call.muted.add if op == "mute" else call.muted.discard)(party.identity)
            await self._media_event(call, party)

    async def _media_event(self, call: FakeCall, party: Party) -> None:
        await self._send(
            call.other(party),
            {
                "type": "call.media",
                "call_id": call.call_id,
                "muted": party.identity in call.muted,
                "video": party.identity in call.video,
            },
        )

    async def _answer(self, party: Party, call: FakeCall, message: dict[str, Any]) -> None:
        if call.pending_op is None or call.pending_op[0] is party:
            await self._error(party, message, "invalid_state", "no offer to answer")
            return
        initiator, op = call.pending_op
        call.pending_op = None
        if call.pending_timer:
            call.pending_timer.cancel()
        await self._ack(party, message)
        result = {"type": "op.result", "call_id": call.call_id, "op": op, "ok": True}
        answer = {"type": "call.answer", "call_id": call.call_id, "sdp": message.get("sdp")}
        first, second = (result, answer) if self.op_result_before_answer else (answer, result)
        await self._send(initiator, first)
        await self._send(initiator, second)
        if op == "hold":
            call.held_by.add(initiator.identity)
        elif op == "unhold":
            call.held_by.discard(initiator.identity)
        elif op in ("video_start", "video_stop"):
            (call.video.add if op == "video_start" else call.video.discard)(initiator.identity)
            await self._media_event(call, initiator)
        await self._states(call)

    async def _reoffer_timeout(self, call: FakeCall) -> None:
        if call.pending_op is None:
            return
        initiator, op = call.pending_op
        call.pending_op = None
        await self._send(
            initiator,
            {
                "type": "op.result",
                "call_id": call.call_id,
                "op": op,
                "ok": False,
                "code": "timeout",
                "message": "no answer in time",
            },
        )
