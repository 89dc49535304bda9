"""Routing decisions: ring someone now, let the caller wait, or give up.

A direct call rings its agent if the agent is free. A queue call is offered to
the queue's free agents by the queue's strategy (``ring_all``: all of them;
``longest_idle``: the one free longest, then the next when its ring times
out); with nobody free it waits, first come first served, until an agent frees
up or the queue's maximum wait runs out. A call waits only for someone: when
no agent who could answer it is left (online, available by choice, and not
having declined it; see ``availability.could_answer``), it ends ``no_agents``
at once, unless its queue keeps callers waiting anyway (``wait_when_empty``).
Every decision is a line in the call's event log, with the reason each agent
was skipped.

The choices are made here, with the database (who is free, by which
strategy); what follows from them (legs that start ringing, who is told
what) is the machine's: ``machine.ring``, ``enqueue``, ``give_up``,
``ring_out``, whose steps the ``Change`` carries out. The machine also says
when a call needs agents again (``CallState.needs_agents``).

Whenever something may free an agent or change a queue (a call ends, an agent
comes back, a ring runs out), ``settle`` serves that queue's waiting calls in
order and tells each waiting caller its position.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from supportcall.callbacks.models import CallbackRequest
from supportcall.directory.hours import describe_opening
from supportcall.directory.models import Agent, Queue
from supportcall.vocabulary import ErrorCode, Presence, Reason
from supportcall.webhooks import models as webhooks
from supportcall.webhooks.payloads import callback as callback_payload
from supportcall.webhooks.record import record

from . import availability, events, machine, wrapup
from .change import SYSTEM, Change, Delivery, each_locked, free_changed, party_group
from .machine import CallError, LegStatus, Phase
from .models import Call, Connection, Leg, WrapUp

_NOT_QUEUED = [p for p in Phase if p is not Phase.QUEUED]
# How far back a caller who left the queue is looked for (see _stopped_waiting_since).
LEFT_WINDOW = timedelta(hours=1)


def _stopped_waiting_since(now: datetime) -> Q:
    """Callers who left the queue since its agents were last told: a caller keeps the last
    position it was told until `positions` forgets it, which says that someone left, even
    the last one. Only calls that began waiting within LEFT_WINDOW are looked at, so the
    index on (queue, phase, queued_at) bounds the scan."""
    return Q(phase__in=_NOT_QUEUED, queued_at__gte=now - LEFT_WINDOW) & ~Q(position={})


NOBODY_LEFT = "no agent who could answer is left"


def check_open(queue: Queue, now: datetime) -> None:
    """A closed queue takes no call; the error says when it opens."""
    schedule = queue.schedule()
    if schedule.is_open(now):
        return
    opening = schedule.next_opening(now)
    when = f"; it opens {describe_opening(opening, now)}" if opening else ""
    raise CallError(ErrorCode.INVALID_STATE, f"{queue.address} is closed now{when}")


def check_room(queue: Queue) -> None:
    """A queue holds at most SUPPORTCALL_QUEUE_WAITING waiting calls; with that many, a new
    call would only wait behind them (first come, first served), so it is refused."""
    limit = settings.SUPPORTCALL_QUEUE_WAITING
    if Call.objects.filter(queue=queue, phase=Phase.QUEUED).count() >= limit:
        raise CallError(
            ErrorCode.RATE_LIMITED, f"{queue.address} has {limit} callers waiting; try later"
        )


def route(change: Change, queue: Queue | None, agent: Agent | None, to: str) -> None:
    """A call just created or forwarded: ring, wait or give up."""
    row = change.row
    if queue is None:
        assert agent is not None
        only = Agent.objects.filter(pk=agent.pk)
        free = _claim(availability.free(only))
        if not free:
            give_up(change, Reason.NO_AGENTS, skipped=availability.skipped(only, [], set()))
            return
        row.ring_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_RING_TIMEOUT)
        change.ring(free, to, deadline=None)
        return
    if row.wait_deadline is None and queue.max_wait:
        row.wait_deadline = row.created + timedelta(seconds=queue.max_wait)
    offer(change, queue)


def offer(change: Change, queue: Queue, fifo: bool = True) -> None:
    """Offer a queue call to the queue's free agents by its strategy, or let it wait.

    With ``fifo``, a call never jumps ahead of calls that have waited longer.
    """
    row = change.row
    declined = set(change.call.declined)
    agents = queue.agents.all()
    ahead = (
        fifo
        and Call.objects.filter(
            queue=queue, phase=Phase.QUEUED, queued_at__lt=row.queued_at or change.now
        )
        .exclude(pk=row.pk)
        .exists()
    )
    chosen: list[Agent] = []
    if not ahead:
        # Agents who let this call ring out get another turn only when nobody else is free.
        free = availability.free(agents, declined | change.call.missed) or availability.free(
            agents, declined
        )
        chosen = _claim(availability.pick(queue, free))
    skipped = availability.skipped(agents, chosen, declined)
    if ahead:
        skipped = {"(queue)": "earlier callers are waiting", **skipped}
    if chosen:
        deadline = change.now + timedelta(seconds=queue.ring_timeout)
        change.ring(chosen, queue.address, deadline, strategy=queue.strategy, skipped=skipped)
    elif not queue.wait_when_empty and not availability.could_answer(agents, declined).exists():
        give_up(change, Reason.NO_AGENTS, skipped=skipped, why=NOBODY_LEFT)
    else:
        wait(change, skipped)
    change.touch()


def _claim(agents: list[Agent]) -> list[Agent]:
    """Lock the chosen agents' rows so that another process cannot ring them for another call
    at the same time; an agent locked elsewhere, or rung meanwhile, is left out."""
    ids = [a.pk for a in agents]
    locked = set(
        Agent.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids)
        .order_by("pk")  # not the model's order, which joins (and on PostgreSQL locks) users
        .values_list("pk", flat=True)
    )
    rung = set(
        Leg.objects.filter(agent_id__in=locked, status=LegStatus.RINGING)
        .order_by()
        .values_list("agent_id", flat=True)
    )
    return [a for a in agents if a.pk in locked and a.pk not in rung]


def wait(change: Change, skipped: dict[str, str]) -> None:
    row = change.row
    if row.queued_at is None:
        row.queued_at = change.now
    if change.call.phase is not Phase.QUEUED:
        change.apply(machine.enqueue(change.call), Phase.QUEUED, skipped=skipped)


def give_up(change: Change, reason: Reason, **why) -> None:
    change.apply(machine.give_up(change.call, reason), reason, **why)
    change.touch()


def after_leg_ended(change: Change) -> None:
    """An agent stopped ringing (rejected, ignored, timed out, left): move the call on.

    The machine says whether the call needs agents again (a queue call that
    nobody rings any more); if so it goes to the next agent or waits.
    """
    row = change.row
    if change.call.transfer_unanswered:
        transfer_unanswered(change, "nobody took the transfer")
    elif change.call.needs_agents and row.queue is not None:
        offer(change, row.queue)


def route_transfer(change: Change) -> None:
    """The caller's fresh offer came for a transfer: ring its target (an agent, or a queue's
    free agents by its strategy), or fall back at once if nobody there is free."""
    row, call = change.row, change.call
    assert call.transfer is not None
    queue, agent = availability.resolve(row.transfer_to)
    if agent is not None and call.transfer.warm:
        free = [agent]  # it agreed on the consult call: rung even if it is on another call
    elif agent is not None:
        free = _claim(availability.free(Agent.objects.filter(pk=agent.pk), call=row))
    else:
        assert queue is not None
        others = {call.transfer.by} | call.declined
        free = _claim(availability.pick(queue, availability.free(queue.agents.all(), others)))
    if not free:
        transfer_unanswered(change, f"nobody at {row.transfer_to} is free")
        return
    row.ring_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_TRANSFER_TIMEOUT)
    change.ring(free, row.transfer_to, deadline=None, transfer=True)


def transfer_unanswered(change: Change, why: str) -> None:
    """Nobody took a transfer: the caller is never dropped. The target queue's
    ``transfer_fallback`` says how: ``return`` (and any transfer to an agent) rings the
    agent who transferred it again; ``callback`` leaves a callback request for the queue."""
    row, call = change.row, change.call
    assert call.transfer is not None
    queue = row.queue
    if queue is not None and queue.transfer_fallback == queue.TransferFallback.CALLBACK:
        assert row.site_id is not None, "calls between agents are not transferred"
        verified = row.caller_verified or {}
        request = CallbackRequest.objects.create(
            site_id=row.site_id,
            queue=queue,
            call=row,
            name=(row.caller_display_name or row.caller_identity)[:100],
            email=str(verified.get("email") or "")[:254],
            note=f"Transferred to {queue.address}; {why}.",
            context=row.caller_context,
        )
        record(
            row.site_id,
            webhooks.CALLBACK_REQUESTED,
            lambda: callback_payload(request),
            call_id=row.id,
        )
        change.apply(
            machine.give_up(call, Reason.CALLBACK_REQUESTED),
            Reason.CALLBACK_REQUESTED,
            why=why,
            callback=request.pk,
        )
        change.touch()
        return
    first = change.agent(call.transfer.by)
    change.apply(machine.transfer_back(call), "transfer_back", agent=first.address, why=why)
    row.queue = None  # the machine's call is a direct one now
    # Its wrap-up of the call is over: the call is its own again.
    wrap = WrapUp.objects.select_for_update().filter(agent=first, call=row).first()
    if wrap is not None:
        ended = wrapup.finish(wrap, SYSTEM, "the transfer came back", change.now)
        change.send_agent(first.pk, ended)
    row.ring_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_TRANSFER_TIMEOUT)
    change.ring([first], first.address, deadline=None, why=why)


def ring_out(change: Change, leg: Leg) -> None:
    """An agent let the call ring out; too many in a row and it is set away."""
    agent = change.agent(leg.agent_id)
    rung_s = _rung_for(leg, change)
    change.apply(
        machine.ring_out(change.call, leg.agent_id),
        "ring_timeout",
        agent=agent.address,
        rung_s=rung_s,
    )
    Agent.objects.filter(pk=leg.agent_id).update(missed_in_row=F("missed_in_row") + 1)
    agent.refresh_from_db(fields=["missed_in_row", "presence"])
    limit = settings.SUPPORTCALL_MISSED_CALLS_AWAY
    if agent.missed_in_row >= limit and agent.presence == Presence.AVAILABLE:
        Agent.objects.filter(pk=agent.pk).update(
            presence=Presence.AWAY, missed_in_row=0, away_reason=None, away_since=change.now
        )
        message = f"You missed {limit} calls in a row, so you were set away."
        change.send_agent(agent.pk, events.presence(Presence.AWAY, message))
        free_changed(change.outbox)
        change.log("agent_away", agent=agent.address, why=message)
    after_leg_ended(change)


def _rung_for(leg: Leg, change: Change) -> float:
    return round((change.now - leg.started).total_seconds(), 1)


def settle(queue_ids: set[int], outbox: list[Delivery], freed: Collection[int] = ()) -> None:
    """Serve each queue's waiting calls, longest waiting first, and tell every caller its
    place: the queues ``queue_ids`` and those of the agents ``freed``."""
    # Only the queues someone waits in, or just left (usually none). Two queries, each
    # through its own index: one OR would scan a queue's calls of the last hour.
    where = Q(queue_id__in=queue_ids)
    if freed:
        theirs = Agent.queues.through.objects.filter(agent_id__in=freed).values("queue_id")
        where |= Q(queue_id__in=theirs)
    touched = Call.objects.filter(where).order_by()  # a set: no order
    busy = set(touched.filter(phase=Phase.QUEUED).values_list("queue_id", flat=True))
    if freed or queue_ids - busy:
        left = touched.filter(_stopped_waiting_since(timezone.now()))
        busy.update(left.exclude(queue_id__in=busy).values_list("queue_id", flat=True))
    for queue in Queue.objects.filter(pk__in=busy) if busy else ():
        waiting = Call.objects.filter(queue=queue, phase=Phase.QUEUED).order_by("queued_at")
        agents = queue.agents.all()
        if not availability.free(agents) or not _offer_in_turn(queue, waiting, outbox):
            # Nobody to ring. A call waits on without being offered again (a burst's waiting
            # calls are not each looked at after every other step) while its queue waits
            # anyway or someone who could answer it is left; the others end (see offer).
            if not queue.wait_when_empty:
                _offer_in_turn(queue, waiting.filter(pk__in=_left_alone(waiting, agents)), outbox)
        positions(queue, outbox)


def _offer_in_turn(queue: Queue, waiting: QuerySet[Call], outbox: list[Delivery]) -> bool:
    """Offer each waiting call, longest waiting first; False once a call nobody declined
    could not be rung: nobody is free, and the calls behind it are not looked at."""
    stuck = False
    for row in each_locked(waiting, until=lambda: stuck):  # noqa: B023 (read at each step)
        # In order already: a call declined by the free agent may let the next one have it.
        change = Change(row, SYSTEM, outbox)
        offer(change, queue, fifo=False)
        change.save()
        stuck = change.call.phase is Phase.QUEUED and not change.call.declined
    return not stuck


def _declined(calls: QuerySet[Call] | list[Call]) -> dict[uuid.UUID, set[int]]:
    """Who declined each of ``calls`` (one query, however many)."""
    declined: dict[uuid.UUID, set[int]] = {}
    legs = Leg.objects.filter(call__in=calls, reason__in=machine.DECLINING)
    for call_id, agent_id in legs.values_list("call_id", "agent_id"):
        declined.setdefault(call_id, set()).add(agent_id)
    return declined


def _left_alone(waiting: QuerySet[Call], agents: QuerySet[Agent]) -> list[uuid.UUID]:
    """The waiting calls nobody who could answer is left for: everyone who could has
    declined them (three queries, however many wait)."""
    answerers = set(availability.could_answer(agents).values_list("pk", flat=True))
    declined = _declined(waiting)
    return [
        call_id
        for call_id in waiting.values_list("pk", flat=True)
        if not answerers - declined.get(call_id, set())
    ]


def positions(queue: Queue, outbox: list[Delivery]) -> None:
    """Send `queue.position` to each waiting caller whose place, agents or estimate changed,
    and `queue.waiting` to the queue's connected agents when callers came or went."""
    waiting = list(
        Call.objects.filter(queue=queue, phase=Phase.QUEUED)
        .order_by("queued_at")
        .only("id", "queued_at", "position", "caller_channel")  # not the SDPs
    )
    gone = Call.objects.filter(_stopped_waiting_since(timezone.now()), queue=queue)
    gone.update(position={})  # told: they are not looked for again
    # Agents hear when the number waiting changed, not at every step of a call: in a
    # burst that sent each agent an event per step of every call and filled their channels.
    told = Queue.objects.filter(pk=queue.pk).exclude(waiting_told=len(waiting))
    came = bool(told.update(waiting_told=len(waiting)))
    if waiting:
        _tell_places(queue, waiting, outbox)
    if came:
        oldest = waiting[0].queued_at if waiting else None
        longest = round((timezone.now() - oldest).total_seconds()) if oldest else 0
        event = events.queue_waiting(queue.address, len(waiting), longest)
        online = queue.agents.filter(Exists(Connection.objects.filter(agent=OuterRef("pk"))))
        for agent in online.select_related("user"):
            outbox.append(Delivery(party_group(agent.address), event, group=True))


def _tell_places(queue: Queue, waiting: list[Call], outbox: list[Delivery]) -> None:
    """Each waiting caller's place and estimate, from one look at the queue (a handful of
    queries however many wait: a burst's waiting callers are told after every step)."""
    outlook = availability.outlook(queue)
    declined = _declined(waiting)
    moved = []
    for number, row in enumerate(waiting, start=1):
        estimate = outlook.estimate(number, declined.get(row.pk, set()))
        position = {
            "position": estimate.position,
            "agents_available": estimate.agents_available,
            "estimated_wait_s": estimate.estimated_wait_s,
        }
        if row.position == position:
            continue
        row.position = position
        moved.append(row)
        if row.caller_channel:
            outbox.append(Delivery(row.caller_channel, events.queue_position(row.id, position)))
    Call.objects.bulk_update(moved, ["position"])  # one statement however many moved
