"""After-call work (wrap-up): the rows behind it, and the ``agent.wrap_up`` event.

When an answered queue call ends, its agent gets a ``WrapUp`` row: routing
skips the agent until the row goes (``availability.free``). The row's ``until``
is the queue's ``wrap_up_seconds`` from the end, or None for a queue whose
wrap-up lasts until the agent is ready (0); a queue without wrap-up (None),
and a direct call, give none. The row goes when the agent saves the call's
outcome, says it is ready, or when the sweeper finds ``until`` passed: a
deadline in the database, never a timer.

This module builds events and changes rows; the callers (``change``, the
requests in ``wrapup_requests``, the sweeper) deliver the events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from supportcall.directory.models import Agent
from supportcall.webhooks import calls as webhooks

from .events import Event
from .models import Call, CallEvent, Disposition, WrapUp

TYPE = "agent.wrap_up"


def dispositions(queue_id: int | None) -> list[dict[str, Any]]:
    """The outcomes offered for a call of this queue: its own and the shared ones."""
    rows = Disposition.objects.filter(Q(queue=None) | Q(queue_id=queue_id), active=True)
    return [{"id": d.pk, "label": d.label} for d in rows]


def event(wrap: WrapUp, now: datetime) -> Event:
    """``agent.wrap_up`` for a wrap-up going on: its deadline (None: until the agent is
    ready), the seconds left, whether it was extended and may be, and the outcomes."""
    seconds = wrap.call.queue.wrap_up_seconds if wrap.call.queue else None
    return {
        "type": TYPE,
        "call_id": str(wrap.call_id),
        "active": True,
        "until": wrap.until.isoformat() if wrap.until else None,
        "remaining_s": max(0, round((wrap.until - now).total_seconds())) if wrap.until else None,
        "extended": wrap.extended,
        "can_extend": bool(wrap.until and seconds and not wrap.extended),
        "dispositions": dispositions(wrap.call.queue_id),
    }


def ended(call_id: Any) -> Event:
    return {
        "type": TYPE,
        "call_id": str(call_id),
        "active": False,
        "until": None,
        "remaining_s": None,
        "extended": False,
        "can_extend": False,
        "dispositions": [],
    }


def start(row: Call, agent_id: int, now: datetime) -> WrapUp | None:
    """The agent of ``row``, which just ended, begins its wrap-up, if the call's queue has
    one (a later call's wrap-up takes the place of an earlier one's)."""
    if row.queue is None or row.queue.wrap_up_seconds is None:
        return None
    seconds = row.queue.wrap_up_seconds
    until = now + timedelta(seconds=seconds) if seconds else None
    wrap, _ = WrapUp.objects.update_or_create(
        agent_id=agent_id,
        defaults={"call": row, "started": now, "until": until, "extended": False},
    )
    return wrap


def current(agent_id: int, now: datetime) -> Event | None:
    """The agent's wrap-up going on, as an event (for its hello), or None."""
    wrap = WrapUp.objects.select_related("call__queue").filter(agent_id=agent_id).first()
    return event(wrap, now) if wrap else None


def finish(wrap: WrapUp, by: str, how: str, now: datetime) -> Event:
    """End a wrap-up (the row is locked): the agent is idle from now; the call's record
    keeps when, and its log how (saved, ready, time ran out)."""
    agent = Agent.objects.select_related("user").get(pk=wrap.agent_id)
    wrap.delete()
    Agent.objects.filter(pk=agent.pk).update(idle_since=now)
    Call.objects.filter(pk=wrap.call_id).update(wrap_up_ended=now)
    CallEvent.objects.create(
        call_id=wrap.call_id,
        actor=by,
        name="wrap_up_end",
        phase_before="ended",
        phase_after="ended",
        detail={"agent": agent.address, "how": how},
    )
    webhooks.wrapped_up(wrap.call_id, agent.address, how, now)  # the outbox, in this transaction
    return ended(wrap.call_id)
