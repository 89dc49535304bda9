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
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ..vocabulary import FINAL_CLOSES
from .errors import CallError, LoginError, ServerUnreachable, SignalingClosed, SupportCallError
from .options import DEFAULT_TIMEOUT, ConnectionState, Options

logger = logging.getLogger(__name__)

ANONYMOUS_LOGIN_PATH = "/api/v1/anonymous-login"
AGENT_LOGIN_PATH = "/api/v1/agent-login"


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

    With ``options.resume`` (the default) a socket that drops is replaced: the
    client reconnects with backoff, to ``server`` then each of ``fallbacks`` in
    turn, within the server's grace period, with ``hello.resume_token``.
    Meanwhile :attr:`state` is ``reconnecting`` (``on_state`` is told each
    change; :meth:`receive` carries only the server's events) and requests in
    flight when it dropped fail with :class:`SignalingClosed`; :attr:`last_close`
    says why the socket closed. A ``ping`` goes out every ``hello.ping_interval``.
    """

    def __init__(
        self,
        options: Options | str,
        on_state: Callable[[ConnectionState], None] | None = None,
    ) -> None:
        options = Options.of(options)
        self.server = options.server
        self.servers = [options.server, *options.fallbacks]
        self.server_now = options.server
        self.resume = options.resume
        self.timeout = options.timeout
        self.reconnects = 0
        self.state = ConnectionState.NEW
        self.last_close: SignalingClosed | None = None
        self._on_state = on_state
        self._closing = False
        self._pinger: asyncio.Task[None] | None = None
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
        identity: str | None = None,
    ) -> dict[str, Any]:
        """``identity``: a token the site's backend signed (single-use: one per login)."""
        body: dict[str, Any] = {"site": site}
        if display_name is not None:
            body["display_name"] = display_name
        if context is not None:
            body["context"] = dict(context)
        if identity:
            body["identity"] = identity
        return await http_login(self.server, ANONYMOUS_LOGIN_PATH, body, self.timeout)

    async def login_agent(self, username: str, password: str) -> dict[str, Any]:
        body = {"username": username, "password": password}
        return await http_login(self.server, AGENT_LOGIN_PATH, body, self.timeout)

    # -- connection ---------------------------------------------------------

    def _set_state(self, state: ConnectionState) -> None:
        if state is self.state:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                logger.exception("connection state callback failed")

    async def connect(self, login: Mapping[str, Any]) -> dict[str, Any]:
        """Open the WebSocket named by ``login``, authenticate, return ``hello``."""
        self.ws_path = str(login.get("ws_url", "/ws/v1/calls"))
        self.url = websocket_url(self.server, self.ws_path)
        self._set_state(ConnectionState.CONNECTING)
        try:
            self._ws, hello = await self._open(self.url, {"type": "auth", "token": login["token"]})
        except BaseException as exc:
            if isinstance(exc, SignalingClosed):
                self.last_close = self._closed = exc
            self._set_state(ConnectionState.CLOSED)
            raise
        self.hello = hello
        self._set_state(ConnectionState.CONNECTED)
        self._reader = asyncio.create_task(self._read_loop(), name="supportcall-signaling")
        self._pinger = asyncio.create_task(self._ping_loop(), name="supportcall-ping")
        return hello

    async def _open(self, url: str, auth: dict[str, Any]) -> tuple[ClientConnection, dict]:
        try:
            ws = await connect(url, open_timeout=self.timeout, max_size=2**20)
        except InvalidStatus as exc:
            raise SupportCallError(
                f"WebSocket {url} refused: HTTP {exc.response.status_code}"
            ) from exc
        except (OSError, TimeoutError, InvalidURI, InvalidHandshake) as exc:
            raise ServerUnreachable(f"cannot open WebSocket {url}: {exc}") from exc

        try:
            await ws.send(json.dumps(auth))
            first = await asyncio.wait_for(ws.recv(), self.timeout)
        except ConnectionClosed as exc:
            await ws.close()
            raise _closed_error(exc) from exc
        except TimeoutError as exc:
            await ws.close()
            raise TimeoutError(f"no hello from {url} within {self.timeout}s") from exc

        hello = json.loads(first)
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await ws.close()
            raise SupportCallError(f"expected hello after auth, got {first[:200]!r}")
        return ws, hello

    async def _ping_loop(self) -> None:
        """The server closes a connection silent past its idle timeout: a dead one."""
        while self._closed is None:
            await asyncio.sleep(float((self.hello or {}).get("ping_interval") or 10.0))
            try:
                if self._ws is not None:
                    await self._ws.send(
                        json.dumps({"type": "ping", "id": f"ping-{self.next_id()}"})
                    )
            except ConnectionClosed:
                pass  # the reader notices, and resumes

    async def _read_loop(self) -> None:
        while True:
            closed = await self._read_socket()
            self.last_close = closed
            if not await self._should_resume(closed):
                break
            self._set_state(ConnectionState.RECONNECTING)
            if not await self._reconnect():
                break
            self._set_state(ConnectionState.CONNECTED)
        self._closed = closed
        self._events.put_nowait(None)
        self._set_state(ConnectionState.CLOSED)

    async def _should_resume(self, closed: SignalingClosed) -> bool:
        return (
            self.resume
            and not self._closing
            and closed.code not in FINAL_CLOSES
            and bool((self.hello or {}).get("resume_token"))
        )

    async def _reconnect(self) -> bool:
        """Come back on any server within the grace period; False if refused or too late."""
        assert self.hello is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(self.hello.get("resume_grace") or 20.0)
        delay, attempt = 0.1, 0
        # Try the next server first: the one that dropped us may be going away.
        current = self.servers.index(self.server_now) if self.server_now in self.servers else 0
        while loop.time() < deadline and not self._closing:
            attempt += 1
            server = self.servers[(current + attempt) % len(self.servers)]
            url = websocket_url(server, self.ws_path)
            try:
                ws, hello = await self._open(
                    url, {"type": "auth", "resume_token": self.hello["resume_token"]}
                )
            except SignalingClosed as exc:
                if exc.code in FINAL_CLOSES:
                    logger.info("resume refused by %s: %s", url, exc)
                    return False
            except (SupportCallError, TimeoutError, ValueError) as exc:
                logger.info("resume through %s failed: %s", url, exc)
            else:
                self._ws, self.hello, self.url, self.server_now = ws, hello, url, server
                self.reconnects += 1
                return True
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 2.0)
        return False

    async def _read_socket(self) -> SignalingClosed:
        """Take frames off the current socket until it closes; why it closed."""
        ws = self._ws
        assert ws is not None
        closed = SignalingClosed(None, "connection lost")
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    logger.warning("ignoring a frame that is not JSON: %.200r", text)
                    continue
                if not isinstance(message, dict):
                    logger.warning("ignoring a frame that is not an object: %.200r", text)
                    continue
                self._on_frame(message)
            closed = SignalingClosed(ws.close_code, ws.close_reason or "")
        except ConnectionClosed as exc:
            closed = _closed_error(exc)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(closed)
        self._pending.clear()
        return closed

    def _on_frame(self, message: dict[str, Any]) -> None:
        """One frame from the server: the answer to a request, or an event."""
        future = None
        if message.get("type") in ("ack", "error") and message.get("id") is not None:
            if str(message["id"]).startswith("ping-"):
                return
            future = self._pending.pop(str(message["id"]), None)
        if future is not None:
            if not future.done():
                future.set_result(message)
        else:
            self._events.put_nowait(message)

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
        self._closing = True
        if self._pinger is not None:
            self._pinger.cancel()
            await asyncio.gather(self._pinger, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await self._reader
        self._set_state(ConnectionState.CLOSED)

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, as a network drop does (for tests)."""
        if self._ws is not None:
            self._ws.transport.abort()


def _closed_error(exc: ConnectionClosed) -> SignalingClosed:
    if exc.rcvd is not None:
        return SignalingClosed(exc.rcvd.code, exc.rcvd.reason)
    return SignalingClosed(None, "connection lost")
