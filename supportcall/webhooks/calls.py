"""Which call changes are webhook events: one hook, called by ``Change.apply`` in its
transaction, after the row is saved and the change logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportcall.calls.machine import Phase
from supportcall.calls.models import Call

from . import models as m
from . import payloads
from .record import record

# The CallEvent name a transfer is logged with (calls.operations.transfer).
TRANSFER = "transfer"


def changed(row: Call, before: Phase, name: str, now: datetime) -> None:
    """Record the events a call's change is: created, ringing, answered, transferred,
    ended, missed (ended without an answer)."""
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
        record(row.site_id, event_type, data, call_id=row.id, now=now)
