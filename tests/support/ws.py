"""WebSocket parties driving the whole ASGI app, and the logins that make them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from supportcall.asgi import application

SHOP = "http://shop.test"
PASSWORD = "pw-for-tests"
DOMAIN = "support.example.com"


def addr(name: str) -> str:
    return f"{name}@{DOMAIN}"


class Socket:
    """One WebSocket connection to /ws/v1/calls, as a test drives it."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.ws = communicator
        self.ids = itertools.count(1)
        self.identity = ""
        self.hello: dict[str, Any] = {}

    async def send(self, content: Any) -> None:
        await self.ws.send_to(
            text_data=json.dumps(content) if not isinstance(content, str) else content
        )

    async def request(self, type: str, **fields: Any) -> dict[str, Any]:
        """Send a request and return its ack or error (events before it are kept)."""
        rid = str(next(self.ids))
        await self.send({"type": type, "id": rid, **fields})
        return await self.expect_reply(rid)

    async def ok(self, type: str, **fields: Any) -> dict[str, Any]:
        reply = await self.request(type, **fields)
        assert reply["type"] == "ack", reply
        return reply

    async def fails(self, code: str, type: str, **fields: Any) -> dict[str, Any]:
        reply = await self.request(type, **fields)
        assert reply["type"] == "error" and reply["code"] == code, reply
        assert reply["message"]
        return reply

    async def expect_reply(self, rid: str | None) -> dict[str, Any]:
        pending = []
        while True:
            frame = await self.receive()
            if frame["type"] in ("ack", "error") and frame.get("id") == rid:
                self.backlog = pending + getattr(self, "backlog", [])
                return frame
            pending.append(frame)

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        backlog = getattr(self, "backlog", [])
        if backlog:
            return backlog.pop(0)
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def event(self, type: str, timeout: float = 3, **match: Any) -> dict[str, Any]:
        """The next frame, which must be of this type and match these fields."""
        frame = await self.receive(timeout)
        assert frame["type"] == type, frame
        for key, value in match.items():
            assert frame.get(key) == value, (key, frame)
        return frame

    async def until(self, type: str, timeout: float = 3, **match: Any) -> dict[str, Any]:
        """The first frame of this type matching these fields; frames before it are dropped."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == type and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def events(self, n: int) -> list[dict[str, Any]]:
        return [await self.receive() for _ in range(n)]

    async def states(self, call_id: str, until: str = "", n: int = 0) -> list[str]:
        """The call.state values received, until `until` is seen (other events are skipped)."""
        seen: list[str] = []
        while not seen or (until and seen[-1] != until) or (n and len(seen) < n):
            frame = await self.receive()
            if frame["type"] == "call.state" and frame["call_id"] == call_id:
                seen.append(frame["state"])
        return seen

    async def silent(self, timeout: float = 0.2) -> None:
        assert not getattr(self, "backlog", []), self.backlog
        assert await self.ws.receive_nothing(timeout=timeout), "unexpected frame"

    async def close(self) -> None:
        """The connection drops (1006, as when the network goes): the party may resume."""
        await self.ws.disconnect(code=1006)

    async def leave(self) -> None:
        """The client closes normally (1000: logged out, tab closed): it is not coming back."""
        await self.ws.disconnect(code=1000)


async def open_ws(origin: str | None = SHOP) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    ws = WebsocketCommunicator(application, "/ws/v1/calls", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    return ws


async def login_visitor(site: str = "shop", origin: str | None = SHOP, **body: Any) -> dict:
    client = AsyncClient(headers={"origin": origin} if origin else {})
    response = await client.post(
        "/api/v1/anonymous-login", {"site": site, **body}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


async def login_agent(username: str) -> dict:
    response = await AsyncClient().post(
        "/api/v1/agent-login",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


async def connect(token: str, origin: str | None = SHOP) -> Socket:
    party = Socket(await open_ws(origin))
    await party.send({"type": "auth", "token": token})
    party.hello = await party.event("hello")
    party.identity = party.hello["identity"]
    return party


sync = database_sync_to_async


async def resume(old: Socket, origin: str | None = SHOP) -> Socket:
    """A new connection taking ``old``'s place with its resume token."""
    party = Socket(await open_ws(origin))
    await party.send({"type": "auth", "resume_token": old.hello["resume_token"]})
    party.hello = await party.event("hello")
    party.identity = party.hello["identity"]
    return party
