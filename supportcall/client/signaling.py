"""The signaling channel to a supportcall server, in the manner of aiortc's
``contrib/signaling.py``: a :class:`Signaling` object with connect / send /
receive / close, plus :meth:`Signaling.request` for the contract's
request/``ack``/``error`` pairs.

Login is plain HTTP (``requests``, run in a thread so the event loop keeps
serving media) and sends no ``Origin`` header: this client is not a browser.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from .errors import CallError, LoginError, ServerUnreachable, SignalingClosed, SupportCallError

logger = logging.getLogger(__name__)

ANONYMOUS_LOGIN_PATH = "/api/v1/anonymous-login"
AGENT_LOGIN_PATH = "/api/v1/agent-login"
DEFAULT_TIMEOUT = 10.0


def _post_json(url: str, body: Mapping[str, Any], timeout: float) -> requests.Response:
    return requests.post(url, json=dict(body), timeout=timeout)


async def http_login(
    server: str, path: str, body: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """POST a login; the ``201`` body, or :class:`LoginError` with the
    server's own code and message, or :class:`ServerUnreachable`."""
    url = server.rstrip("/") + path
    try:
        response = await asyncio.to_thread(_post_json, url, body, timeout)
    except requests.RequestException as exc:
        raise ServerUnreachable(f"cannot reach {url}: {_reason(exc)}") from exc
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code != 201:
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code", "error"))
            message = str(error.get("message", ""))
        else:
            code, message = "http_error", (response.text or response.reason or "")[:200]
        raise LoginError(response.status_code, code, message)
    if not isinstance(data, dict) or "token" not in data:
        raise SupportCallError(f"{url} answered 201 without a token")
    return data


def _reason(exc: BaseException) -> str:
    """The useful end of requests' nested messages ("[Errno 111] Connection refused")."""
    cause = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", cause)
    return str(cause).rsplit(": ", 1)[-1] or type(exc).__name__


def websocket_url(server: str, ws_url: str) -> str:
    """The WebSocket URL for ``ws_url`` (a path, or already absolute) on ``server``."""
    if ws_url.startswith(("ws://", "wss://")):
        return ws_url
    absolute = urljoin(server.rstrip("/") + "/", ws_url)
    parts = urlsplit(absolute)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


class Signaling:
    """A WebSocket to ``/ws/v1/calls``: authenticated, with request/answer pairing.

    A reader task takes every frame off the socket. An ``ack`` or ``error``
    whose ``id`` matches a pending :meth:`request` completes it; every other
    frame is an event for :meth:`receive`, in arrival order.
    """

    def __init__(self, server: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout
        self.hello: dict[str, Any] | None = None
        self.url: str | None = None
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._closed: SignalingClosed | None = None

    # -- login --------------------------------------------------------------

    async def login_anonymous(
        self,
        site: str,
        display_name: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"site": site}
        if display_name is not None:
            body["display_name"] = display_name
        if context is not None:
            body["context"] = dict(context)
        return await http_login(self.server, ANONYMOUS_LOGIN_PATH, body, self.timeout)

    async def login_agent(self, username: str, password: str) -> dict[str, Any]:
        body = {"username": username, "password": password}
        return await http_login(self.server, AGENT_LOGIN_PATH, body, self.timeout)

    # -- connection ---------------------------------------------------------

    async def connect(self, login: Mapping[str, Any]) -> dict[str, Any]:
        """Open the WebSocket named by ``login``, authenticate, return ``hello``."""
        self.url = websocket_url(self.server, str(login.get("ws_url", "/ws/v1/calls")))
        try:
            self._ws = await connect(self.url, open_timeout=self.timeout, max_size=2**20)
        except InvalidStatus as exc:
            raise SupportCallError(
                f"WebSocket {self.url} refused: HTTP {exc.response.status_code}"
            ) from exc
        except (OSError, TimeoutError, InvalidURI, InvalidHandshake) as exc:
            raise ServerUnreachable(f"cannot open WebSocket {self.url}: {exc}") from exc

        try:
            await self._ws.send(json.dumps({"type": "auth", "token": login["token"]}))
            first = await asyncio.wait_for(self._ws.recv(), self.timeout)
        except ConnectionClosed as exc:
            await self._ws.close()
            raise _closed_error(exc) from exc
        except TimeoutError as exc:
            await self._ws.close()
            raise TimeoutError(f"no hello from {self.url} within {self.timeout}s") from exc

        hello = json.loads(first)
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await self._ws.close()
            raise SupportCallError(f"expected hello after auth, got {first[:200]!r}")
        self.hello = hello
        self._reader = asyncio.create_task(self._read_loop(), name="supportcall-signaling")
        return hello

    async def _read_loop(self) -> None:
        assert self._ws is not None
        closed = SignalingClosed(None, "connection lost")
        try:
            async for text in self._ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    logger.warning("ignoring a frame that is not JSON: %.200r", text)
                    continue
                if not isinstance(message, dict):
                    logger.warning("ignoring a frame that is not an object: %.200r", text)
                    continue
                future = None
                if message.get("type") in ("ack", "error") and message.get("id") is not None:
                    future = self._pending.pop(str(message["id"]), None)
                if future is not None:
                    if not future.done():
                        future.set_result(message)
                else:
                    self._events.put_nowait(message)
            closed = SignalingClosed(self._ws.close_code, self._ws.close_reason or "")
        except ConnectionClosed as exc:
            closed = _closed_error(exc)
        finally:
            self._closed = closed
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(closed)
            self._pending.clear()
            self._events.put_nowait(None)

    @property
    def closed(self) -> SignalingClosed | None:
        """Why the connection closed, or ``None`` while it is open."""
        return self._closed

    # -- messages -------------------------------------------------------------

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one JSON frame as is (no ``id`` added, no answer awaited)."""
        await self.send_text(json.dumps(message))

    async def send_text(self, text: str) -> None:
        """Send a raw text frame: for tests of malformed input."""
        if self._ws is None:
            raise SupportCallError("not connected")
        if self._closed is not None:
            raise self._closed
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise _closed_error(exc) from exc

    def next_id(self) -> str:
        return str(next(self._ids))

    async def request(
        self, message: Mapping[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send ``message`` with an ``id`` (added unless present) and return the
        ``ack``; raise :class:`CallError` on ``error``, ``TimeoutError`` if
        neither arrives in time."""
        message = dict(message)
        request_id = str(message.setdefault("id", self.next_id()))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        timeout = self.timeout if timeout is None else timeout
        try:
            await self.send(message)
            answer = await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise TimeoutError(
                f"no answer to {message.get('type')} (id {request_id}) within {timeout}s"
            ) from exc
        finally:
            self._pending.pop(request_id, None)
        if answer.get("type") == "error":
            raise CallError(str(answer.get("code", "error")), str(answer.get("message", "")))
        return answer

    async def receive(self, timeout: float | None = None) -> dict[str, Any]:
        """The next event; :class:`SignalingClosed` once the socket closed and
        every earlier event was received."""
        if self._closed is not None and self._events.empty():
            raise self._closed
        event = await asyncio.wait_for(self._events.get(), timeout)
        if event is None:
            self._events.put_nowait(None)  # every later receive() fails too
            assert self._closed is not None
            raise self._closed
        return event

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await self._reader


def _closed_error(exc: ConnectionClosed) -> SignalingClosed:
    if exc.rcvd is not None:
        return SignalingClosed(exc.rcvd.code, exc.rcvd.reason)
    return SignalingClosed(None, "connection lost")
