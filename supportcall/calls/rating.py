"""The visitor's rating of a call: 1 to 5 stars and an optional comment, once.

Only the caller of an answered call that ended rates it (``machine.rate``), within
SUPPORTCALL_RATING_WINDOW seconds of the end, and once: the rating goes on the
call's record, beside its agent and queue. The agent's connections are told
(``call.rated``, their recent calls show it) and a ``call.rated`` webhook event is
recorded in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings

from supportcall.vocabulary import ErrorCode
from supportcall.webhooks import calls as webhooks

from . import machine
from .change import Actor, Delivery, Outcome, locked
from .machine import CallError

STARS = range(1, 6)


def rate(actor: Actor, call_id: uuid.UUID, *, stars: int, comment: str | None = None) -> Outcome:
    """The caller's rating of its call, acknowledged with the stars and the time taken."""
    if stars not in STARS:
        raise CallError(ErrorCode.BAD_REQUEST, "'stars' must be 1 to 5")
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row = change.row
        machine.rate(change.call, actor.party)
        if row.rated_at is not None:
            raise CallError(ErrorCode.INVALID_STATE, "this call was rated already")
        window = settings.SUPPORTCALL_RATING_WINDOW
        if row.ended is None or change.now > row.ended + timedelta(seconds=window):
            raise CallError(
                ErrorCode.INVALID_STATE, f"a call is rated within {window:g} s of its end"
            )
        row.rating, row.rating_comment, row.rated_at = stars, (comment or "").strip(), change.now
        change.save()
        change.log("rate", row.phase, stars=stars)
        webhooks.rated(row, change.now)
        if row.agent_id:
            event = {"type": "call.rated", "call_id": str(row.id), "stars": stars}
            change.send_agent(row.agent_id, event)
    return Outcome(
        {"call_id": str(call_id), "stars": stars, "rated": change.now.isoformat()}, outbox
    )
