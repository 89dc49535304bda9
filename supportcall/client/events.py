"""How the client reports changes: ``on(name, callback)`` listeners, as aiortc's
objects have (``pc.on("track")``), and ``async for`` streams, as websockets'
connections have. Neither keeps a history: a listener or a stream sees what
happens after it started, and memory stays bounded however long a bot runs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
Listener = Callable[..., Any]


class Emitter:
    """``on(name, callback)``, usable as a decorator; a callback may be a
    coroutine function, which runs as its own task. A callback that raises is
    logged and does not stop the others."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}
        self._listener_tasks: set[asyncio.Task[Any]] = set()

    def on(self, name: str, callback: Listener | None = None) -> Any:
        def add(callback: Listener) -> Listener:
            self._listeners.setdefault(name, []).append(callback)
            return callback

        return add if callback is None else add(callback)

    def remove_listener(self, name: str, callback: Listener) -> None:
        listeners = self._listeners.get(name, [])
        if callback in listeners:
            listeners.remove(callback)

    def _emit(self, name: str, *args: Any) -> None:
        for callback in list(self._listeners.get(name, ())):
            try:
                result = callback(*args)
            except Exception:
                logger.exception("%r listener %r failed", name, callback)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._listener_tasks.add(task)
                task.add_done_callback(self._listener_done)

    def _listener_done(self, task: asyncio.Task[Any]) -> None:
        self._listener_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a listener task failed", exc_info=task.exception())

    async def _stop_listener_tasks(self) -> None:
        tasks = [t for t in self._listener_tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Stream(Generic[T]):
    """Fans items out to every live :class:`Subscription`; holds none itself.

    Subscriptions are held weakly: one abandoned by a ``break`` is collected
    with its queue instead of filling up forever.
    """

    def __init__(self) -> None:
        self._subscriptions: weakref.WeakSet[Subscription[T]] = weakref.WeakSet()
        self.closed = False

    def put(self, item: T) -> None:
        for subscription in list(self._subscriptions):
            subscription._queue.put_nowait(item)

    def close(self) -> None:
        self.closed = True
        for subscription in list(self._subscriptions):
            subscription._queue.put_nowait(None)

    def subscribe(self) -> Subscription[T]:
        return Subscription(self)


class Subscription(Generic[T]):
    """An async iterator of a stream's items from the moment it was created
    until the stream closes."""

    def __init__(self, stream: Stream[T]) -> None:
        self._queue: asyncio.Queue[T | None] = asyncio.Queue()
        if stream.closed:
            self._queue.put_nowait(None)
        else:
            stream._subscriptions.add(self)
        self._done = False

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            self._done = True
            raise StopAsyncIteration
        return item


class Notifier:
    """Wakes every waiter whenever something changed; waiters re-check."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                pass
