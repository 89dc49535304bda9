"""The history the client deliberately forgets, kept for tests.

``supportcall.client`` holds only current state (a bot must not grow); a test
that asserts the whole history of a call, as aiortc's ``track_states`` does,
attaches a :class:`Recorder` before connecting::

    visitor = Visitor(options, site="demo")
    record = Recorder(visitor)
    await visitor.connect()
    call = await visitor.call()
    ...
    assert record.states(call) == ["initiated", "ringing", "in_call", "ended"]

or ``record(client)``, which attaches one the first time and returns it after.
"""

from __future__ import annotations

import weakref
from typing import Any

from supportcall.client import Call, Client
from supportcall.client.events import Notifier

Event = dict[str, Any]


class CallRecord:
    def __init__(self) -> None:
        self.states: list[str] = []
        self.events: list[Event] = []
        # call.media's "connection" values: the other party's link, in order.
        self.remote_connection: list[str] = []


class Recorder:
    """Every event of one client, per call and in all, and its connection states."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.events: list[Event] = []  # every server event, as it arrived
        self.connection: list[str] = []  # every connection_state the client went through
        self.calls: dict[str, CallRecord] = {}
        self._notifier = Notifier()
        client.on("event", self._on_client_event)
        client.on("connectionstatechange", self._on_connection)
        client.on("call", self._track)

    def _on_client_event(self, event: Event) -> None:
        self.events.append(event)
        self._notifier.notify()

    def _on_connection(self) -> None:
        self.connection.append(str(self.client.connection_state))
        self._notifier.notify()

    def _track(self, call: Call) -> None:
        record = self.calls.setdefault(call.call_id, CallRecord())

        def on_event(event: Event) -> None:
            record.events.append(event)
            if event.get("type") == "call.media" and "connection" in event:
                record.remote_connection.append(str(event["connection"]))
            self._notifier.notify()

        def on_state() -> None:
            record.states.append(str(call.state))
            self._notifier.notify()

        call.on("event", on_event)
        call.on("statechange", on_state)

    def of(self, call: Call) -> CallRecord:
        return self.calls[call.call_id]

    def states(self, call: Call) -> list[str]:
        """This party's states, in order, as its call went through them."""
        return self.of(call).states

    def call_events(self, call: Call) -> list[Event]:
        """The events of ``call``, each once the call applied it."""
        return self.of(call).events

    def remote_connection(self, call: Call) -> list[str]:
        return self.of(call).remote_connection

    def mark(self, call: Call | None = None) -> int:
        """Where the history ends now: pass it as ``after`` to wait only for what comes next."""
        return len(self.events if call is None else self.of(call).events)

    async def event(
        self,
        type: str,
        call: Call | None = None,
        *,
        after: int = 0,
        timeout: float = 10.0,
        **fields: Any,
    ) -> Event:
        """The first event of ``type`` with these ``fields`` at index ``after``
        or later (of ``call``'s events, or of all), waiting for it if needed."""

        def found() -> Event | None:
            history = self.events if call is None else self.of(call).events
            for event in history[after:]:
                if event.get("type") == type and all(event.get(k) == v for k, v in fields.items()):
                    return event
            return None

        return await self._notifier.wait_for(
            found, timeout, f"{type} {fields or ''} (call {call and call.call_id})"
        )

    async def until(self, predicate: Any, timeout: float = 10.0, what: str = "") -> None:
        """Wait until ``predicate()`` holds, re-checked after everything recorded."""
        await self._notifier.wait_for(predicate, timeout, what or "a recorded condition")


_recorders: weakref.WeakKeyDictionary[Client, Recorder] = weakref.WeakKeyDictionary()


def record(client: Client) -> Recorder:
    """The recorder of ``client``, attached now if it has none: do it before
    connecting to have the whole history."""
    if client not in _recorders:
        _recorders[client] = Recorder(client)
    return _recorders[client]
