"""A real HTTP webhook receiver on 127.0.0.1, in a thread of the test: it checks each
post's signature the way docs/webhooks.md tells receivers to, and keeps what arrived."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from supportcall.webhooks import signing
from tests.support.servers import free_port


@dataclass
class Post:
    event: dict[str, Any]
    signed: bool  # the signature matched the endpoint's secret, with a fresh timestamp
    status: int  # what the receiver answered


class Receiver:
    """Answers each post with ``status(n)`` (n: the posts so far, from 0); ``gate``, while
    cleared, holds every post before it is answered (a slow receiver)."""

    def __init__(self, status: Callable[[int], int] = lambda n: 200, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = ""
        self.status = status
        self.posts: list[Post] = []
        self.arrived = threading.Condition()
        self.gate = threading.Event()
        self.gate.set()
        self.started = 0  # posts that began (gated or not)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.arrived:
                    n = receiver.started
                    receiver.started += 1
                    receiver.arrived.notify_all()
                receiver.gate.wait()
                status = receiver.status(n)
                signed = signing.verify(
                    receiver.secret, self.headers.get(signing.HEADER, ""), body, time.time()
                )
                event = json.loads(body)
                assert self.headers["Supportcall-Event-Id"] == event["id"]
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"not now")
                except OSError:  # the sender is gone (killed mid-delivery)
                    status = 0
                with receiver.arrived:
                    receiver.posts.append(Post(event, signed, status))
                    receiver.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.gate.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self, until: Callable[[Receiver], bool], timeout: float = 20) -> None:
        """Until ``until(self)`` holds (checked at each post), or fail after ``timeout``."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: until(self), timeout):
                raise AssertionError(f"the receiver never got there; it has {self.delivered()}")

    async def until(self, until: Callable[[Receiver], bool], timeout: float = 20) -> None:
        """``wait`` from async code: the event loop (and the worker in it) runs meanwhile."""
        await asyncio.to_thread(self.wait, until, timeout)

    def delivered(self) -> list[tuple[str, str]]:
        """(type, call or callback id) of each post it took (2xx), in arrival order."""
        return [(p.event["type"], about(p.event)) for p in self.posts if 200 <= p.status < 300]

    def ids(self) -> list[str]:
        return [p.event["id"] for p in self.posts if 200 <= p.status < 300]


def about(event: dict[str, Any]) -> str:
    data = event["data"]
    return data["call"]["id"] if "call" in data else str(data["callback"]["id"])


def per_call(delivered: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Each call's event types, in the order they arrived (duplicates kept)."""
    found: dict[str, list[str]] = {}
    for event_type, call in delivered:
        found.setdefault(call, []).append(event_type)
    return found
