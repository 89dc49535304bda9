"""The load generator's side of the wire: HTTP logins and WebSocket frames, per
docs/protocol.md, with nothing from supportcall imported (the client package
is being reshaped, and a benchmark should see only what any client sees).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from websockets.asyncio.client import ClientConnection, connect

from bench.servers import DOMAIN, PASSWORD

CANDIDATE = {
    # A browser's host candidate behind an mDNS name: the server refuses loopback ones.
    "candidate": "candidate:1 1 udp 2122260223 3f1c2a9e-5b7d-4e21.local 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}
# Shaped like a browser's: the server reads only the m-lines and their directions.
_SDP = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
    "a=rtpmap:96 VP8/90000\r\na=inactive\r\n"
)
OFFER = ANSWER = _SDP  # media "audio": audio sendrecv, video inactive
_local = threading.local()
# Logins are blocking HTTP: a pool wide enough that the calls in flight never queue.
HTTP_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="login")


class Failed(Exception):
    """A step of a call did not happen as the protocol says (the reason is the message)."""


def agent_address(i: int) -> str:
    return f"bench-{i}@{DOMAIN}"


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = _session().post(url, json=body, timeout=30)
    if response.status_code != 201:
        raise Failed(f"login {response.status_code}: {response.text[:200]}")
    return response.json()


async def login(server: str, agent: int | None = None) -> dict[str, Any]:
    """An anonymous login on the demo site, or agent bench-<agent>'s login."""
    if agent is None:
        url, body = server + "/api/v1/anonymous-login", {"site": "demo"}
    else:
        url, body = (
            server + "/api/v1/agent-login",
            {
                "username": f"bench-{agent}",
                "password": PASSWORD,
            },
        )
    return await asyncio.get_running_loop().run_in_executor(HTTP_POOL, _post, url, body)


class Peer:
    """One WebSocket; one coroutine at a time reads it."""

    def __init__(self, ws: ClientConnection, hello: dict[str, Any]):
        self.ws, self.hello, self.ids = ws, hello, itertools.count(1)
        self.backlog: list[dict[str, Any]] = []
        self.last_sent = time.monotonic()
        self.pinger: asyncio.Task | None = None

    @classmethod
    async def open(cls, server: str, token: str, timeout: float = 30) -> Peer:
        # No compression and no WebSocket-level pings: the server under test
        # should see only the protocol's frames, the same for every server.
        ws = await connect(
            server.replace("http", "ws", 1) + "/ws/v1/calls",
            compression=None,
            ping_interval=None,
            open_timeout=timeout,
            max_queue=None,
        )
        try:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        except BaseException:
            await ws.close()
            raise
        if hello.get("type") != "hello":
            await ws.close()
            raise Failed(f"no hello: {hello}")
        return cls(ws, hello)

    async def send(self, type: str, **fields: Any) -> str:
        rid = str(next(self.ids))
        await self.ws.send(json.dumps({"type": type, "id": rid, **fields}))
        self.last_sent = time.monotonic()
        return rid

    def keep_pinging(self) -> None:
        """Ping in the background as a real client does, whatever else it is waiting for
        (a slow server must not close a waiting agent as dead)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(float(self.hello.get("ping_interval", 10)) / 2)
                await self.keep_alive()

        self.pinger = asyncio.create_task(loop())

    @property
    def closed(self) -> bool:
        return self.ws.close_code is not None

    async def keep_alive(self) -> None:
        """A ping when one is due, so that a connection waiting for the others to be set
        up is not taken for dead; its ack is skipped by whoever reads next."""
        if time.monotonic() - self.last_sent > float(self.hello.get("ping_interval", 10)) / 2:
            await self.send("ping")

    async def request(self, type: str, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        """Send a request and return its ack; an error answer raises Failed."""
        rid = await self.send(type, **fields)
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv()
                if frame.get("type") in ("ack", "error") and frame.get("id") == rid:
                    if frame["type"] == "error":
                        raise Failed(f"{type}: {frame.get('code')} {frame.get('message')}")
                    return frame
                self.backlog.append(frame)

    async def event(self, type: str, timeout: float = 30, **match: Any) -> dict[str, Any]:
        """The first event of this type matching these fields; others are skipped."""
        async with asyncio.timeout(timeout):
            while True:
                frame = self.backlog.pop(0) if self.backlog else await self.recv()
                if frame.get("type") == type and all(frame.get(k) == v for k, v in match.items()):
                    return frame
                ended = frame.get("type") == "call.state" and frame.get("state") == "ended"
                if ended and frame.get("call_id") == match.get("call_id", frame.get("call_id")):
                    if match.get("state") != "ended":
                        raise Failed(f"ended ({frame.get('reason')}) waiting for {type} {match}")

    async def recv(self) -> dict[str, Any]:
        return json.loads(await self.ws.recv())

    async def close(self) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
        await self.ws.close()


async def agents(server: str, count: int) -> list[Peer]:
    """Agents bench-0 ... bench-<count-1>, logged in and connected."""
    return [await agent(server, i) for i in range(count)]


async def agent(server: str, i: int) -> Peer:
    """Agent bench-<i>, logged in, connected and pinging."""
    token = (await login(server, agent=i))["token"]
    peer = await Peer.open(server, token)
    peer.keep_pinging()
    return peer


async def answered_call(
    server: str, agent: Peer, agent_index: int, offer: str, answer: str, media: str
) -> tuple[Peer, str, dict[str, float]]:
    """A visitor's whole way into a call with this agent: login, connect, call.create,
    call.incoming at the agent, call.accept, in_call. Returns the visitor, the call and
    the time each step was reached (monotonic seconds)."""
    times = {"start": time.monotonic()}
    token = (await login(server))["token"]
    times["login"] = time.monotonic()
    visitor = await Peer.open(server, token)
    times["connected"] = time.monotonic()
    try:
        times["create"] = time.monotonic()
        ack = await visitor.request(
            "call.create", to=agent_address(agent_index), media=media, sdp=offer
        )
        call_id = ack["call_id"]
        await agent.event("call.incoming", call_id=call_id)
        times["incoming"] = time.monotonic()
        await agent.request("call.accept", call_id=call_id, video=False, sdp=answer)
        await visitor.event("call.state", call_id=call_id, state="in_call")
        times["in_call"] = time.monotonic()
    except BaseException:
        await visitor.close()
        raise
    return visitor, call_id, times


async def end_call(visitor: Peer, agent: Peer, call_id: str) -> None:
    """The visitor hangs up; both sides see the end, then the visitor leaves."""
    try:
        await visitor.request("call.end", call_id=call_id)
        await visitor.event("call.state", call_id=call_id, state="ended")
        await agent.event("call.state", call_id=call_id, state="ended")
    finally:
        await visitor.close()
