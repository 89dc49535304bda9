"""The agent's wrap-up requests: ``wrapup.save``, ``wrapup.extend``, ``wrapup.end``.

Each locks the agent's ``WrapUp`` row (see ``wrapup``), so a request and the
sweeper ending the same wrap-up give one end. Ending one settles the agent's
queues: a caller waiting there rings the agent now.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from supportcall.vocabulary import ErrorCode, Role

from . import distribution, wrapup
from .change import Actor, Delivery, Outcome, free_changed, party_group
from .machine import CallError
from .models import Call, WrapUp


@contextmanager
def _locked(actor: Actor) -> Iterator[WrapUp]:
    """The agent's wrap-up, locked; ``invalid_state`` when it is in none."""
    if actor.role != Role.AGENT:
        raise CallError(ErrorCode.FORBIDDEN, "only agents do after-call work")
    with transaction.atomic():
        wrap = (
            WrapUp.objects.select_for_update(of=("self",))
            .select_related("call__queue")
            .filter(agent_id=actor.agent)
            .first()
        )
        if wrap is None:
            raise CallError(ErrorCode.INVALID_STATE, "you are not in wrap-up")
        yield wrap


def _ended(actor: Actor, wrap: WrapUp, how: str) -> Outcome:
    now = timezone.now()
    event = wrapup.finish(wrap, actor.identity, how, now)
    outbox = [Delivery(party_group(actor.identity), event, group=True)]
    free_changed(outbox)
    return Outcome({"call_id": str(wrap.call_id)}, outbox)


def _settled(actor: Actor, outcome: Outcome) -> Outcome:
    """After the commit: the agent is free, so its queues' waiting callers may ring it."""
    distribution.settle(set(), outcome.outbox, {actor.agent})
    return outcome


def save(
    actor: Actor, call_id: uuid.UUID, *, disposition: int | None = None, notes: str = ""
) -> Outcome:
    """Put the outcome and the notes on the call's record, and end the wrap-up (the notes'
    length, SUPPORTCALL_WRAP_UP_NOTES, is checked with the frame)."""
    with _locked(actor) as wrap:
        if wrap.call_id != call_id:
            raise CallError(ErrorCode.INVALID_STATE, f"your wrap-up is not for the call {call_id}")
        offered = {d["id"] for d in wrapup.dispositions(wrap.call.queue_id)}
        if disposition is not None and disposition not in offered:
            raise CallError(
                ErrorCode.BAD_REQUEST, f"{disposition} is not an outcome offered for this call"
            )
        Call.objects.filter(pk=call_id).update(disposition_id=disposition, notes=notes)
        outcome = _ended(actor, wrap, "saved")
    return _settled(actor, outcome)


def extend(actor: Actor) -> Outcome:
    """Once per wrap-up: the queue's wrap-up time again, from the deadline."""
    with _locked(actor) as wrap:
        seconds = wrap.call.queue.wrap_up_seconds if wrap.call.queue else None
        if wrap.until is None or not seconds:
            raise CallError(ErrorCode.INVALID_STATE, "this wrap-up lasts until you are ready")
        if wrap.extended:
            raise CallError(ErrorCode.INVALID_STATE, "a wrap-up may be extended only once")
        wrap.until += timedelta(seconds=seconds)
        wrap.extended = True
        wrap.save(update_fields=["until", "extended"])
        now = timezone.now()
        event = wrapup.event(wrap, now)
        outbox = [Delivery(party_group(actor.identity), event, group=True)]
        return Outcome({"call_id": str(wrap.call_id), "until": event["until"]}, outbox)


def ready(actor: Actor) -> Outcome:
    """The agent is ready for the next call: the wrap-up ends without an outcome."""
    with _locked(actor) as wrap:
        outcome = _ended(actor, wrap, "ready")
    return _settled(actor, outcome)
