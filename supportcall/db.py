"""Database work from async code: ``in_db(function)(...)`` runs it where the database is used.

Django and Channels run such work in one thread per process (thread
sensitive), one call at a time. SQLite writes one transaction at a time
anyway, so that is where its work runs. On PostgreSQL the calls mostly wait
for the server's answers: SUPPORTCALL_DB_THREADS threads (each lent a
connection by the pool) let other connections' requests go on meanwhile. This
is safe for the same reason several processes are: every call's changes are
made under its row lock (``change.locked``), and a connection's own requests
still run one after the other (its consumer awaits each).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings


@cache
def _threads() -> ThreadPoolExecutor:
    """The process's database threads (made once, on first use)."""
    return ThreadPoolExecutor(settings.SUPPORTCALL_DB_THREADS, thread_name_prefix="database")


def in_db(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a coroutine function, run in a database thread."""
    if settings.SUPPORTCALL_DB_THREADS <= 1:
        return DatabaseSyncToAsync(function)
    return DatabaseSyncToAsync(function, thread_sensitive=False, executor=_threads())
