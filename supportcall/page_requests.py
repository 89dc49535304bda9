"""HTTP requests from customers' pages run in a database thread, not a new thread each.

Django gives every request a thread of its own (its ``ThreadSensitiveContext``):
a thread started and joined per request, and with it a database connection
opened and closed per request (on SQLite the schema is read again each time,
and the request's write waits for the database thread's lock). Profiled, that
machinery cost an anonymous login several times what the view itself does
(docs/performance.md). The endpoints the widget calls (a login per call, at a
burst's rate; the line's status; a callback request) are short database work:
they run as database work, in a database thread on its kept connection
(``supportcall.db``: on SQLite the consumers' one thread itself).

Everything else (the dashboard, the admin, agents' password logins, whose
hashing takes a good part of a second) keeps Django's way, so that nothing slow
ever holds up the thread that calls need.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve

from supportcall.db import in_db

View = TypeVar("View", bound=Callable[..., Any])


def page_endpoint(view: View) -> View:
    """Mark ``view`` as one customers' pages call (see the module's docstring)."""
    view.page_endpoint = True  # type: ignore[attr-defined]
    return view


@lru_cache(maxsize=1024)
def _is_page_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "page_endpoint", False)


class SyncChain(ASGIHandler):
    """Django's ASGI handler with its middleware chain built sync, entered in one hop.

    Built async (Django's way under ASGI), the chain changes mode at every middleware
    that cannot run async (WhiteNoise's) and each ``MiddlewareMixin`` then hops to a thread
    for its ``process_request`` and again for its ``process_response``: more than a dozen
    thread hops per request, profiled as a large part of a login's time. Every view here
    is sync, so the chain is too, and the request goes to a thread once."""

    def __init__(self) -> None:
        # Not ASGIHandler.__init__: it builds the async chain, which would go unused.
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


class _InDatabaseThread(SyncChain):
    """No thread per request: the request runs as database work (``in_db``), in a database
    thread on its kept connection."""

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        await self.handle(scope, receive, send)  # not in a ThreadSensitiveContext of its own

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await in_db(self.get_response)(request)


class PageRequests:
    """HTTP: page endpoints in a database thread, every other request in a thread of its own
    (Django's way), both through a sync middleware chain."""

    def __init__(self) -> None:
        self.django, self.pages = SyncChain(), _InDatabaseThread()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        app = self.pages if _is_page_endpoint(scope["path"]) else self.django
        await app(scope, receive, send)
