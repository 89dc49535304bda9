"""Database work from async code: ``in_db(function)(...)`` runs it in a database thread.

Django and Channels run such work in one thread per process (thread
sensitive), one call at a time, opening and closing a connection around
each: that was a fifth of the server's time (docs/performance.md). Here a
database thread keeps its connection between calls, closing it only when it
broke (Django's own checks), and checks its health only when it has been
idle a while. HTTP requests, which Django runs each in a thread of its own,
keep Django's defaults: their connection goes with their thread.

SQLite writes one transaction at a time, so its work runs in the one thread.
On PostgreSQL the calls mostly wait for the server's answers: up to
SUPPORTCALL_DB_THREADS threads, each lent a connection by the pool, let other
connections' requests go on meanwhile. That is safe for the reason several
processes are: every call's changes are made under its row lock
(``change.locked``), and one connection's requests still run one after the
other (its consumer awaits each).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# A connection unused for this long is checked (SELECT 1) before it is used again.
IDLE_CHECK_SECONDS = 30.0


@cache
def _threads() -> ThreadPoolExecutor:
    """The process's database threads (made once, on first use)."""
    return ThreadPoolExecutor(settings.SUPPORTCALL_DB_THREADS, thread_name_prefix="database")


class _KeepingConnections(DatabaseSyncToAsync):
    """Channels' ``database_sync_to_async``, keeping the thread's connection between calls."""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
            used = getattr(conn, "supportcall_used", 0.0)
            if conn.connection is not None and now - used < IDLE_CHECK_SECONDS:
                conn.health_check_done = True  # type: ignore[attr-defined]  # used just now
        try:
            return SyncToAsync.thread_handler(self, loop, *args, **kwargs)
        finally:
            now = time.monotonic()
            for conn in connections.all(initialized_only=True):
                conn.close_at = None  # kept however old (CONN_MAX_AGE is for requests)
                conn.supportcall_used = now  # type: ignore[attr-defined]
                conn.close_if_unusable_or_obsolete()


def only_row(queryset: QuerySet[M]) -> M | None:
    """The row a filter on a unique column finds, or None: ``first()`` without its ORDER BY
    (the model's ordering, or the primary key), which costs compiling and sorting."""
    return next(iter(queryset.order_by()[:1]), None)


def in_db(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a coroutine function, run in a database thread."""
    if settings.SUPPORTCALL_DB_THREADS <= 1:
        return _KeepingConnections(function)
    return _KeepingConnections(function, thread_sensitive=False, executor=_threads())
