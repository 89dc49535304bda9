"""The agent's asks about the visitor's screen: share it (``screen.ask``), stop sharing
it (``screen.ask_stop``), and the visitor's "Not now" (``screen.decline``).

Only the visitor starts and stops its screen (the re-offers ``call.screen_start`` and
``call.screen_stop``, in ``operations``); the agent asks. An ask waits on the call's row
(``screen_asked``) until the visitor answers it, by sharing, stopping or declining: the
agent cannot ask again sooner than SUPPORTCALL_SCREEN_ASK_INTERVAL. Who may ask and
answer is the machine's rule (``machine.screen_ask``, ``machine.screen_decline``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings

from supportcall.vocabulary import ErrorCode, ScreenRefusal

from . import events, machine
from .change import Actor, Delivery, Outcome, locked
from .machine import CallError, Party
from .models import Call


def _ask(actor: Actor, call_id: uuid.UUID, stop: bool) -> Outcome:
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row = change.row
        machine.screen_ask(change.call, actor.party, agent=actor.agent_id, stop=stop)
        interval = settings.SUPPORTCALL_SCREEN_ASK_INTERVAL
        if row.screen_asked and change.now - row.screen_asked < timedelta(seconds=interval):
            raise CallError(
                ErrorCode.RATE_LIMITED,
                f"you asked {int((change.now - row.screen_asked).total_seconds())}s ago; "
                f"the visitor has not answered (ask again after {interval:g}s)",
            )
        row.screen_asked = change.now
        change.save()
        change.log("screen_ask_stop" if stop else "screen_ask", row.phase)
        change.send(Party.CALLER, events.screen_ask(row.id, stop=stop))
    return Outcome({"call_id": str(call_id)}, outbox)


def ask(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """The agent asks the visitor to share its screen (``screen.asked`` to the visitor)."""
    return _ask(actor, call_id, stop=False)


def ask_stop(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """The agent asks the visitor's widget to stop sharing (``screen.stop_request``); the
    widget answers with ``call.screen_stop``."""
    return _ask(actor, call_id, stop=True)


def decline(actor: Actor, call_id: uuid.UUID, *, reason: str = ScreenRefusal.DECLINED) -> Outcome:
    """The visitor does not share: "Not now", a refused permission, or a browser that cannot
    (``not_supported``). The agent is told (``screen.declined``)."""
    if reason not in set(ScreenRefusal):
        raise CallError(
            ErrorCode.BAD_REQUEST, f"'reason' must be one of {', '.join(ScreenRefusal)}"
        )
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row = change.row
        machine.screen_decline(change.call, actor.party)
        if row.screen_asked is None:
            raise CallError(ErrorCode.INVALID_STATE, "the agent has not asked for your screen")
        row.screen_asked = None
        change.save()
        change.log("screen_declined", row.phase, reason=reason)
        change.send(Party.AGENT, events.screen_declined(row.id, reason))
    return Outcome({"call_id": str(call_id)}, outbox)


def replay(row: Call, party: Party) -> list[events.Event]:
    """What a resumed party needs of the screen: the agent, that it is shared (and on which
    m-line); the visitor, the agent's ask it has not answered."""
    if party is Party.AGENT and row.caller_screen:
        return [events.screen(row.id, True, row.screen_mid)]
    if party is Party.CALLER and row.screen_asked is not None:
        return [events.screen_ask(row.id, stop=row.caller_screen)]
    return []
