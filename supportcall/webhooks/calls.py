"""Which call changes are webhook events: one hook, called by ``Change.apply`` in its
transaction, after the row is saved and the change logged; and the end of the agent's
after-call work (``wrapup.finish``), when the record has its outcome and notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from supportcall.calls.machine import Phase
from supportcall.calls.models import Call

from . import models as m
from . import payloads
from .record import record

# The CallEvent name a transfer is logged with (calls.operations.transfer).
TRANSFER = "transfer"


def changed(
    row: Call,
    before: Phase,
    name: str,
    now: datetime,
    endpoints: Callable[[], list[m.Endpoint]] | None = None,
) -> None:
    """Record the events a call's change is: created, ringing, answered, transferred,
    ended, missed (ended without an answer). A call between agents is no site's.
    ``endpoints``: the site's (see ``record``)."""
    if row.site_id is None:
        return
    after = Phase(row.phase)
    found: list[tuple[str, Any]] = []
    if name == "create":
        found.append((m.CALL_CREATED, lambda: {"call": payloads.call(row)}))
    if name == TRANSFER:
        found.append((m.CALL_TRANSFERRED, lambda: {"call": payloads.call(row)}))
    if after is Phase.RINGING and before is not Phase.RINGING:
        found.append((m.CALL_RINGING, lambda: payloads.ringing(row)))
    if after is Phase.ANSWERED and before is not Phase.ANSWERED:
        found.append((m.CALL_ANSWERED, lambda: {"call": payloads.call(row)}))
    if after is Phase.ENDED and before is not Phase.ENDED:
        found.append((m.CALL_ENDED, lambda: payloads.ended(row)))
        if row.answered is None:
            found.append((m.CALL_MISSED, lambda: payloads.ended(row)))
    for event_type, data in found:
        record(row.site_id, event_type, data, call_id=row.id, now=now, endpoints=endpoints)


def wrapped_up(call_id: Any, agent: str, how: str, now: datetime) -> None:
    """The agent's after-call work on the call ended (``how``: saved, ready, time ran out):
    the call's summary with the outcome and notes it saved."""
    row = Call.objects.select_related("site", "queue", "agent__user", "disposition").get(pk=call_id)
    if row.site_id is None:  # a call between agents
        return
    record(
        row.site_id,
        m.CALL_WRAPPED_UP,
        lambda: {**payloads.ended(row), "wrap_up": {"agent": agent, "how": how}},
        call_id=row.id,
        now=now,
    )


def rated(row: Call, now: datetime) -> None:
    """The caller rated the call: its summary with the rating (in the rating's transaction)."""
    assert row.site_id is not None, "only a visitor rates a call"
    record(row.site_id, m.CALL_RATED, lambda: payloads.ended(row), call_id=row.id, now=now)
