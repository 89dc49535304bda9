"""A bare WebSocket speaker of the contract, for tests that need no media."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import requests
import websockets

from tests.support.servers import DEMO_PASSWORD


class Wire:
    def __init__(self, ws, hello: dict[str, Any]):
        self.ws, self.hello, self.ids = ws, hello, itertools.count(1)
        self.backlog: list[dict[str, Any]] = []

    @classmethod
    async def visitor(
        cls, server_url: str, site: str = "demo", origin: str | None = None, timeout: float = 10
    ) -> Wire:
        """Logged in and connected; ``timeout``: for the login, the handshake and the hello."""
        headers = {"Origin": origin} if origin else {}
        login = await asyncio.to_thread(
            requests.post,
            server_url + "/api/v1/anonymous-login",
            json={"site": site},
            headers=headers,
            timeout=timeout,
        )
        login.raise_for_status()
        return await cls._open(server_url, login.json()["token"], origin, timeout)

    @classmethod
    async def agent(cls, server_url: str, username: str) -> Wire:
        login = await asyncio.to_thread(
            requests.post,
            server_url + "/api/v1/agent-login",
            json={"username": username, "password": DEMO_PASSWORD},
            timeout=10,
        )
        login.raise_for_status()
        return await cls._open(server_url, login.json()["token"])

    @classmethod
    async def with_token(cls, server_url: str, token: str, origin: str | None = None) -> Wire:
        """Authenticate with a login token someone else was issued (which uses it up)."""
        return await cls._open(server_url, token, origin)

    @classmethod
    async def _open(
        cls, server_url: str, token: str, origin: str | None = None, timeout: float = 10
    ) -> Wire:
        ws = await websockets.connect(
            server_url.replace("http", "ws", 1) + "/ws/v1/calls",
            origin=origin,
            open_timeout=timeout,
        )
        await ws.send(json.dumps({"type": "auth", "token": token}))
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        assert hello["type"] == "hello", hello
        return cls(ws, hello)

    async def request(self, type: str, **fields: Any) -> dict[str, Any]:
        rid = str(next(self.ids))
        await self.ws.send(json.dumps({"type": type, "id": rid, **fields}))
        while True:
            frame = await self._recv()
            if frame["type"] in ("ack", "error") and frame.get("id") == rid:
                return frame
            self.backlog.append(frame)

    async def event(self, type: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """The first event of this type matching these fields (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = self.backlog.pop(0) if self.backlog else await self._recv()
                if frame["type"] == type and all(frame.get(k) == v for k, v in match.items()):
                    return frame

    async def _recv(self) -> dict[str, Any]:
        return json.loads(await self.ws.recv())

    async def close(self) -> None:
        await self.ws.close()
