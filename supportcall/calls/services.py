"""Every change to a call, each in one transaction.

A service locks the call row (``select_for_update``), runs one step of the
pure state machine, saves the row, appends to the call's event log, and
returns an ``Outcome``: the ack's result fields and the events to deliver.
The caller of a service sends those events through the channel layer once
the transaction has committed, so no process keeps call state in memory and
two agents answering at once on two processes give exactly one winner.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportcall.directory.models import Agent
from supportcall.tokens.issuing import InvalidToken
from supportcall.tokens.models import IssuedToken, Role

from . import dispatch, machine, protocol, router, sdp
from .change import (
    Actor,
    Change,
    Delivery,
    Outcome,
    each_locked,
    incoming,
    locked,
    party_group,
)
from .machine import CallError, Media, Op, Party, Phase, Reason
from .models import Call, Connection, Leg

__all__ = ["Actor", "Delivery", "Outcome", "party_group"]

# This server process: its sweeper keeps the rows of the connections it holds fresh.
PROCESS = uuid.uuid4().hex

MAX_EARLY_CANDIDATES = 50


def _ringing_leg(change: Change, actor: Actor) -> Leg | None:
    """The actor's ringing leg of a call that is still ringing, or None once answered."""
    row = change.row
    if row.phase == Phase.ANSWERED and row.agent_id != actor.agent:
        raise CallError("invalid_state", "another agent answered this call")
    if row.phase != Phase.RINGING:
        return None
    leg = row.legs.filter(agent_id=actor.agent, status=Leg.Status.RINGING).first()
    if leg is None:
        raise CallError("invalid_state", "this call is no longer ringing for you")
    return leg


# --- the services ---------------------------------------------------------


def create_call(actor: Actor, to: str | None, media: str, offer: str) -> Outcome:
    """A visitor calls a queue or an agent of its site."""
    if actor.role != Role.VISITOR:
        raise CallError("forbidden", "agents cannot create calls")
    kind = Media(media)
    sdp.check_offer(offer, kind)
    to = to or (actor.targets[0] if actor.targets else "")
    if not to:
        raise CallError("bad_request", "call.create needs 'to'")
    queue, agent = router.resolve(to)
    router.check_allowed(queue, agent, actor.targets)
    if queue is not None:
        dispatch.check_open(queue, timezone.now())
    outbox: list[Delivery] = []
    with transaction.atomic():
        row = Call(
            site_id=actor.site,
            caller_identity=actor.identity,
            caller_display_name=actor.display_name,
            caller_context=actor.context,
            target=to,
            queue=queue,
            media=kind,
            offer_sdp=offer,
            caller_channel=actor.channel,
        )
        row.apply(machine.start(kind))
        row.save()
        change = Change(row, actor.identity, outbox)
        change.log("create", to=to, media=kind)
        change.send(Party.CALLER, protocol.state(row.id, "initiated", None))
        dispatch.route(change, queue, agent, to)
        row.save()
    dispatch.settle(change.queues, outbox)
    return Outcome({"call_id": str(row.id)}, outbox)


def operate(actor: Actor, call_id: uuid.UUID, op: Op, **fields: Any) -> Outcome:
    """One operation of the contract on one call."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row, party, before = change.row, actor.party, change.row.state()
        machine.check(before, party, op, video=bool(fields.get("video", False)))
        leg = _ringing_leg(change, actor) if party is Party.AGENT else None
        if op in machine.REOFFER_OPS:
            sdp.check_reoffer(fields["sdp"], row.offer_sdp, hold=op is Op.HOLD)
            row.op_sdp = fields["sdp"]
            row.op_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_OP_TIMEOUT)
            change.apply(machine.request(before, party, op), op)
            change.send(party.other, protocol.offer(row.id, op, fields["sdp"]))
            return Outcome({"call_id": str(row.id)}, outbox)
        handler = _INSTANT[op]
        handler(change, actor, leg, before, **fields)
        row.save()
        if row.phase != before.phase:
            change.touch()
    outbox.append(Delivery(actor.channel, protocol.op_result(call_id, op, True)))
    dispatch.settle(change.queues, outbox)
    return Outcome({"call_id": str(call_id)}, outbox)


def _accept(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    video = bool(f.get("video", False))
    step = machine.request(before, Party.AGENT, Op.ACCEPT, video=video)
    sdp.check_answer(f["sdp"], change.row.offer_sdp)
    assert leg is not None
    row = change.row
    row.agent_id, row.agent_channel, row.answer_sdp = leg.agent_id, actor.channel, f["sdp"]
    row.answered, row.ring_deadline = change.now, None
    leg.status = Leg.Status.ANSWERED
    leg.save(update_fields=["status"])
    Agent.objects.filter(pk=leg.agent_id).update(missed_in_row=0)
    # The accepting agent's other tabs and every other agent stop ringing.
    change.send_agent(
        leg.agent,
        protocol.state(row.id, "ended", "ringing", Reason.ANSWERED_ELSEWHERE),
        skip=actor.channel,
    )
    change.end_legs(row.legs.filter(status=Leg.Status.RINGING), Reason.ANSWERED_ELSEWHERE)
    change.send(Party.CALLER, protocol.answer(row.id, f["sdp"]))
    change.apply(step, Op.ACCEPT, video=video, waited_s=_seconds(row.answered, row.created))
    change.touch(leg.agent)


def _reject(
    change: Change,
    actor: Actor,
    leg: Leg | None,
    before: machine.Call,
    *,
    op: Op = Op.REJECT,
    **f: Any,
) -> None:
    """In a queue the call moves on to the next agent; a direct call ends `rejected`."""
    assert leg is not None
    row = change.row
    others = row.legs.filter(status=Leg.Status.RINGING).exclude(pk=leg.pk).exists()
    step = machine.request(
        before, Party.AGENT, op, others_ringing=others or row.queue_id is not None
    )
    change.end_legs(row.legs.filter(pk=leg.pk), Reason.REJECTED)
    change.apply(step, Op.REJECT)
    dispatch.after_leg_ended(change)


def _ignore(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    assert leg is not None
    step = machine.request(before, Party.AGENT, Op.IGNORE)
    change.end_legs(change.row.legs.filter(pk=leg.pk), Reason.IGNORED)
    change.apply(step, Op.IGNORE)
    dispatch.after_leg_ended(change)


def _forward(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    """To an agent who is free now, or to a queue someone is online for (it may wait there)."""
    assert leg is not None
    queue, agent = router.resolve(f["to"])
    if agent is not None and agent.pk == leg.agent_id:
        raise CallError("bad_request", "you cannot forward a call to yourself")
    if agent is not None and not router.free(Agent.objects.filter(pk=agent.pk), call=change.row):
        raise CallError("not_found", f"{f['to']} cannot take the call now")
    if queue is not None:
        dispatch.check_open(queue, change.now)
        if router.online_count(queue) == 0 and not queue.wait_when_empty:
            raise CallError("not_found", f"nobody at {f['to']} can take the call now")
    step = machine.request(before, Party.AGENT, Op.FORWARD)
    row = change.row
    change.end_legs(row.legs.filter(pk=leg.pk), Reason.FORWARDED)
    change.end_legs(row.legs.filter(status=Leg.Status.RINGING), Reason.ANSWERED_ELSEWHERE)
    row.queue = queue
    change.apply(step, Op.FORWARD, to=f["to"])
    dispatch.route(change, queue, agent, f["to"])


def _end(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    if leg is not None:  # an agent hanging up a call still ringing at it rejects it
        _reject(change, actor, leg, before, op=Op.END)
        return
    change.apply(machine.request(before, actor.party, Op.END), Op.END)


def _mute(
    change: Change,
    actor: Actor,
    leg: Leg | None,
    before: machine.Call,
    *,
    op: Op = Op.MUTE,
    **f: Any,
) -> None:
    step = machine.request(before, actor.party, op)
    change.apply(step, op)
    _tell_media(change, actor.party)


def _tell_media(change: Change, sender: Party) -> None:
    """Tell the other party what ``sender`` now sends."""
    call = change.row.state()
    change.send(
        sender.other,
        protocol.media(change.row.id, muted=sender in call.muted, video=sender in call.video),
    )


_INSTANT = {
    Op.ACCEPT: _accept,
    Op.REJECT: _reject,
    Op.IGNORE: _ignore,
    Op.FORWARD: _forward,
    Op.END: _end,
    Op.MUTE: _mute,
    Op.UNMUTE: lambda *a, **f: _mute(*a, op=Op.UNMUTE, **f),
}


def answer(actor: Actor, call_id: uuid.UUID, answer_sdp: str) -> Outcome:
    """The other party answers a re-offer: the pending operation succeeds."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row, party = change.row, actor.party
        if party is Party.AGENT:
            _ringing_leg(change, actor)
        step = machine.answer(row.state(), party)
        sdp.check_answer(answer_sdp, row.op_sdp)
        initiator = party.other
        change.send(initiator, protocol.answer(row.id, answer_sdp))
        change.apply(step, "answer", op=step.finished)
        if step.finished in machine.VIDEO_OPS:
            _tell_media(change, initiator)
        assert step.finished is not None
        change.send(initiator, protocol.op_result(row.id, step.finished, True))
    return Outcome({"call_id": str(call_id)}, outbox)


def relay_candidate(actor: Actor, call_id: uuid.UUID, candidate: dict | None) -> Outcome:
    """Pass an ICE candidate to the other party (or to every agent still being rung)."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row, event = change.row, protocol.candidate(call_id, candidate)
        if row.phase == Phase.ENDED:
            raise CallError("invalid_state", "the call has ended")
        if actor.party is Party.AGENT:
            if row.phase != Phase.ANSWERED or row.agent_id != actor.agent:
                raise CallError("invalid_state", "accept the call before sending candidates")
            change.send(Party.CALLER, event)
        elif row.phase == Phase.ANSWERED:
            change.send(Party.AGENT, event)
        else:
            # Kept for agents rung later (forward), relayed to those ringing now.
            if len(row.caller_candidates) >= MAX_EARLY_CANDIDATES:
                raise CallError(
                    "too_large", f"at most {MAX_EARLY_CANDIDATES} candidates before the answer"
                )
            row.caller_candidates = [*row.caller_candidates, candidate]
            row.save(update_fields=["caller_candidates"])
            for leg in row.legs.filter(status=Leg.Status.RINGING).select_related("agent__user"):
                change.send_agent(leg.agent, event)
    return Outcome({"call_id": str(call_id)}, outbox)


def set_presence(actor: Actor, status: str) -> Outcome:
    """The agent's choice; coming back makes it idle from now and may serve waiting calls."""
    if actor.role != Role.AGENT:
        raise CallError("forbidden", "only agents have a presence")
    if status not in Agent.Presence.values:
        raise CallError("bad_request", "'status' must be 'available' or 'away'")
    agents = Agent.objects.filter(pk=actor.agent)
    if status == Agent.Presence.AVAILABLE:
        agents.exclude(presence=status).update(
            presence=status, idle_since=timezone.now(), missed_in_row=0
        )
    else:
        agents.update(presence=status)
    event = {"type": "presence", "status": status}
    outbox = [Delivery(party_group(actor.identity), event, group=True)]
    dispatch.settle(_queues_of(actor.agent), outbox)
    return Outcome({"status": status}, outbox)


def connect(actor: Actor) -> Outcome:
    """A connection opened; an agent coming online is idle from now and may get waiting calls."""
    outbox: list[Delivery] = []
    if actor.agent_id is not None and not Connection.objects.filter(agent_id=actor.agent).exists():
        Agent.objects.filter(pk=actor.agent).update(idle_since=timezone.now())
    _open(actor)
    if actor.agent_id is not None:
        dispatch.settle(_queues_of(actor.agent), outbox)
    return Outcome({}, outbox)


def _open(actor: Actor) -> None:
    Connection.objects.update_or_create(
        channel_name=actor.channel,
        defaults={
            "role": actor.role,
            "identity": actor.identity,
            "agent_id": actor.agent_id,
            "process": PROCESS,
            "last_seen": timezone.now(),
            "grace_until": None,
        },
    )


def presence_of(actor: Actor) -> str:
    """What the agent chose (available or away); offline and busy are computed."""
    return Agent.objects.values_list("presence", flat=True).get(pk=actor.agent)


def _queues_of(agent_id: int) -> set[int]:
    return set(Agent.objects.get(pk=agent_id).queues.values_list("pk", flat=True))


def _seconds(later: datetime | None, earlier: datetime) -> float | None:
    return round((later - earlier).total_seconds(), 1) if later else None


def disconnect(actor: Actor, now: datetime | None = None, leaving: bool = False) -> Outcome:
    """A connection closed: its party may resume within the grace period (see ``resume``).

    Nothing ends yet: the connection's row gets a reconnect deadline the
    sweeper acts on, and the other party of each of its calls learns that
    this party is ``reconnecting``. A client ``leaving`` (it closed normally:
    logged out, closed the tab) is not coming back: its calls end at once.
    """
    outbox: list[Delivery] = []
    now = now or timezone.now()
    # No process holds it any more: nothing may revive it (see keep_alive).
    Connection.objects.filter(channel_name=actor.channel).update(process="")
    if leaving:
        gone = Connection.objects.filter(channel_name=actor.channel)
        gone.update(grace_until=now - timedelta(microseconds=1))
        conn = gone.first()
        if conn is not None:
            dispatch.settle(_lose(conn, now, outbox), outbox)
        return Outcome({}, outbox)
    row = Connection.objects.filter(channel_name=actor.channel, grace_until__isnull=True).first()
    if row is not None:
        _drop(row, now, outbox, why="closed")
    return Outcome({}, outbox)


def _drop(conn: Connection, now: datetime, outbox: list[Delivery], why: str) -> None:
    grace = now + timedelta(seconds=settings.SUPPORTCALL_RESUME_GRACE)
    dropped = Connection.objects.filter(
        channel_name=conn.channel_name, grace_until__isnull=True
    ).update(grace_until=grace)
    if not dropped:  # another process's sweeper, or the consumer, got there first
        return
    party = _party_of(conn)
    for row in _calls_on(conn.channel_name, party):
        change = Change(row, conn.identity, outbox)
        change.log("connection_dropped", row.phase, party=party, why=why, until=grace.isoformat())
        _tell_connection(change, party, "reconnecting")


def _party_of(conn: Connection) -> Party:
    return Party.CALLER if conn.role == Role.VISITOR else Party.AGENT


def _calls_on(channel: str, party: Party) -> list[Call]:
    """The calls a connection speaks for (an agent's: only those it answered)."""
    calls = Call.objects.exclude(phase=Phase.ENDED)
    if party is Party.CALLER:
        return list(calls.filter(caller_channel=channel))
    return list(calls.filter(agent_channel=channel))


def _tell_connection(change: Change, party: Party, connection: str) -> None:
    """Tell the other party whether ``party``'s signaling is ``reconnecting`` or ``connected``."""
    row = change.row
    if row.phase != Phase.ANSWERED:
        return  # before the answer the agents rung do not follow the caller's connection
    call = row.state()
    change.send(
        party.other,
        protocol.media(
            row.id, muted=party in call.muted, video=party in call.video, connection=connection
        ),
    )


def _actor_of(conn: Connection) -> Actor:
    return Actor(
        role=Role(conn.role),
        identity=conn.identity,
        channel=conn.channel_name,
        agent_id=conn.agent_id,
    )


def _lose(conn: Connection, now: datetime, outbox: list[Delivery]) -> set[int]:
    """The grace ran out: the party's calls end `connection_lost`, its agent stops ringing there.

    Returns the queues worth a new look.
    """
    queues: set[int] = set()
    actor = _actor_of(conn)
    with transaction.atomic():
        gone = Connection.objects.filter(
            channel_name=conn.channel_name, grace_until__lt=now
        ).delete()[0]
        if not gone:  # resumed meanwhile, or another sweeper acted first
            return queues
        # Its resume token dies with the grace period.
        IssuedToken.objects.filter(replaces=conn.channel_name).update(revoked=True)
    party = actor.party
    lost = Call.objects.exclude(phase=Phase.ENDED)
    if party is Party.CALLER:
        lost = lost.filter(caller_channel=actor.channel)
    else:
        lost = lost.filter(agent_channel=actor.channel, phase=Phase.ANSWERED)
    for row in each_locked(lost):
        change = Change(row, actor.identity, outbox)
        change.apply(machine.lose(row.state(), party), "connection_lost")
        change.touch()
        queues |= change.queues
    if party is Party.AGENT and not Connection.objects.filter(agent_id=actor.agent).exists():
        ringing = Leg.objects.filter(agent_id=actor.agent, status=Leg.Status.RINGING)
        for call_id in ringing.values_list("call_id", flat=True):
            with locked(call_id, actor, outbox) as change:
                change.end_legs(
                    change.row.legs.filter(agent_id=actor.agent, status=Leg.Status.RINGING),
                    Reason.CONNECTION_LOST,
                )
                if change.row.queue_id is None and change.row.phase == Phase.RINGING:
                    if not change.row.legs.filter(status=Leg.Status.RINGING).exists():
                        dispatch.give_up(
                            change, Reason.NO_ANSWER, why="the agent rung disconnected"
                        )
                else:
                    dispatch.after_leg_ended(change)
                change.row.save()
                queues |= change.queues
    return queues


def resume(actor: Actor, replaces: str) -> Outcome:
    """A party comes back on a new connection (any process) in place of a dropped one.

    Its calls are rebound to the new channel, and each call's current state is
    replayed to it (``call.state`` with ``resumed: true``), with the re-offer
    still waiting for its answer and the operation in progress. Raises
    InvalidToken when the old connection's grace has run out.
    """
    outbox: list[Delivery] = []
    with transaction.atomic():
        old = (
            Connection.objects.select_for_update()
            .filter(channel_name=replaces, identity=actor.identity)
            .first()
        )
        if old is None:
            raise InvalidToken("the connection to resume is gone: its grace period ran out")
        was_dropped = old.grace_until is not None
        dropped_at = (old.grace_until or timezone.now()) - timedelta(
            seconds=settings.SUPPORTCALL_RESUME_GRACE
        )
        old.delete()
        _open(actor)
    party = actor.party
    # Calls that ended while it was away: their end went to the dead channel.
    ended = Call.objects.filter(phase=Phase.ENDED, ended__gte=dropped_at)
    ended = ended.filter(
        **{"caller_channel" if party is Party.CALLER else "agent_channel": replaces}
    )
    for row in ended:
        event = protocol.state(
            row.id, "ended", None, row.end_reason if party is Party.CALLER else _agent_reason(row)
        )
        event["resumed"] = True
        outbox.append(Delivery(actor.channel, event))
    rebound = Call.objects.exclude(phase=Phase.ENDED)
    if party is Party.CALLER:
        rebound = rebound.filter(caller_channel=replaces)
    else:
        rebound = rebound.filter(agent_channel=replaces)
    for row in each_locked(rebound):
        if party is Party.CALLER:
            row.caller_channel = actor.channel
        else:
            row.agent_channel = actor.channel
        row.save(update_fields=["caller_channel" if party is Party.CALLER else "agent_channel"])
        change = Change(row, actor.identity, outbox)
        if not was_dropped:
            change.log("connection_dropped", row.phase, party=party, why="replaced by a resume")
        change.log("resumed", row.phase, party=party)
        _replay(change, party)
        if not was_dropped:
            # The old connection died before its process noticed (or its process
            # died): the other party hears of the drop and the return together.
            _tell_connection(change, party, "reconnecting")
        _tell_connection(change, party, "connected")
    if party is Party.AGENT:
        # Calls still ringing at this agent: alert the new connection as at first.
        ringing = Call.objects.filter(
            phase=Phase.RINGING, legs__agent_id=actor.agent, legs__status=Leg.Status.RINGING
        ).distinct()
        for row in ringing:
            outbox.append(Delivery(actor.channel, incoming(row)))
            outbox.append(Delivery(actor.channel, _resumed_state(row, party)))
            for candidate in row.caller_candidates:
                outbox.append(Delivery(actor.channel, protocol.candidate(row.id, candidate)))
    return Outcome({"replaced": replaces}, outbox)


def _agent_reason(row: Call) -> str:
    """How an answered call ended for its agent, from its log (the row keeps the caller's)."""
    swapped = {
        Reason.ENDED_BY_LOCAL: Reason.ENDED_BY_REMOTE,
        Reason.ENDED_BY_REMOTE: Reason.ENDED_BY_LOCAL,
    }
    return swapped.get(row.end_reason, row.end_reason)  # type: ignore[call-overload]


def _resumed_state(row: Call, party: Party) -> dict[str, Any]:
    call = row.state()
    event = protocol.state(row.id, call.state_for(party), None)
    event["resumed"] = True
    if call.pending is not None:
        event["operation"] = {
            "op": call.pending.op,
            "by": "local" if call.pending.by is party else "remote",
        }
    if party is Party.CALLER and row.phase == Phase.ANSWERED:
        event["answer_sdp"] = row.answer_sdp
    return event


def _replay(change: Change, party: Party) -> None:
    """What a resumed party needs to carry on: the state, the other's media, a waiting re-offer."""
    row = change.row
    change.send(party, _resumed_state(row, party))
    if row.phase != Phase.ANSWERED:
        return
    call = row.state()
    other = Connection.objects.filter(channel_name=row.channel_of(party.other)).first()
    away = other is None or other.grace_until is not None
    change.send(
        party,
        protocol.media(
            row.id,
            muted=party.other in call.muted,
            video=party.other in call.video,
            connection="reconnecting" if away else "connected",
        ),
    )
    if call.pending is not None and call.pending.by is party.other:
        change.send(party, protocol.offer(row.id, call.pending.op, row.op_sdp))


def events_lost(channels: list[str], now: datetime | None = None) -> Outcome:
    """Events could not be queued for these connections: each must resume to catch up.

    Treated as a drop that no process may take back (see keep_alive); the
    consumer notices at the client's next ping (``bound``) and closes, and the
    client's resume replays every call.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    for conn in Connection.objects.filter(channel_name__in=channels):
        Connection.objects.filter(channel_name=conn.channel_name).update(process="")
        _drop(conn, now, outbox, why="events to it were lost (its channel was full)")
    return Outcome({}, outbox)


def bound(channel: str) -> bool:
    """Whether this live connection still speaks for its party (not dropped, not replaced)."""
    return Connection.objects.filter(
        channel_name=channel, grace_until__isnull=True, process=PROCESS
    ).exists()


def drop_stale(now: datetime | None = None) -> Outcome:
    """Connections whose process stopped refreshing them (it was killed) count as dropped."""
    now = now or timezone.now()
    outbox: list[Delivery] = []
    cutoff = now - timedelta(seconds=settings.SUPPORTCALL_PROCESS_TIMEOUT)
    for conn in Connection.objects.filter(grace_until__isnull=True, last_seen__lt=cutoff):
        _drop(conn, now, outbox, why="its server process stopped")
    return Outcome({}, outbox)


def keep_alive(process: str, now: datetime | None = None) -> Outcome:
    """This process still holds its connections: refresh their rows (see ``drop_stale``).

    A connection another sweeper took for dead while this process was too busy
    to vouch for it is alive after all: the other party learns it is
    ``connected`` again, and its grace no longer runs.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    mine = Connection.objects.filter(process=process)
    mine.filter(grace_until__isnull=True).update(last_seen=now)
    for conn in mine.filter(grace_until__isnull=False):
        if Connection.objects.filter(channel_name=conn.channel_name, process=process).update(
            grace_until=None, last_seen=now
        ):
            party = _party_of(conn)
            for row in _calls_on(conn.channel_name, party):
                change = Change(row, conn.identity, outbox)
                change.log("connection_back", row.phase, party=party)
                _tell_connection(change, party, "connected")
    return Outcome({}, outbox)


def queue_position(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """Where the caller's own waiting call stands (anyone else's call is `not_found`)."""
    row = Call.objects.filter(id=call_id, caller_identity=actor.identity).first()
    if actor.role != Role.VISITOR or row is None:
        raise CallError("not_found", f"you have no call {call_id}")
    if row.phase != Phase.QUEUED or row.queue is None:
        raise CallError("invalid_state", f"the call is {row.phase}, not waiting in a queue")
    ahead = Call.objects.filter(
        queue=row.queue, phase=Phase.QUEUED, queued_at__lt=row.queued_at
    ).count()
    estimate = router.estimate(row.queue, ahead + 1)
    return Outcome(
        {
            "call_id": str(call_id),
            "position": estimate.position,
            "agents_available": estimate.agents_available,
            "estimated_wait_s": estimate.estimated_wait_s,
        }
    )


def forget_connections() -> Outcome:
    """After a restart of the only process (the in-memory channel layer), nobody is connected.

    Its calls lost both parties with it: they end `connection_lost`, so no
    record stays open and no stale agent is rung.
    """
    Connection.objects.all().delete()
    for row in each_locked(Call.objects.exclude(phase=Phase.ENDED)):
        Change(row, "system", []).apply(
            machine.lose(row.state(), Party.CALLER), "connection_lost", why="server restart"
        )
    return Outcome({}, [])  # their channels died with the old process


def sweep(now: datetime | None = None) -> Outcome:
    """Act on every passed deadline: unanswered re-offers fail, rings move on, waits run out.

    Safe to run in every process at once: each call is re-checked under its lock.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    queues: set[int] = set()
    # Parties that did not come back in time (first: their calls need no more routing).
    for conn in Connection.objects.filter(grace_until__lt=now):
        queues |= _lose(conn, now, outbox)
    for row in each_locked(Call.objects.filter(phase=Phase.ANSWERED, op_deadline__lt=now)):
        pending = row.state().pending
        assert pending is not None
        change = Change(row, "system", outbox)
        change.apply(machine.expire(row.state()), "timeout", op=pending.op)
        change.send(
            pending.by,
            protocol.op_result(
                row.id, pending.op, False, "timeout", "the other party did not answer in time"
            ),
        )
    # A direct call rings its agent until its ring deadline.
    for row in each_locked(Call.objects.filter(phase=Phase.RINGING, ring_deadline__lt=now)):
        change = Change(row, "system", outbox)
        dispatch.give_up(change, Reason.NO_ANSWER)
        queues |= change.queues
    # A queue call's ring moves on to the next agent.
    late_legs = Call.objects.filter(
        phase=Phase.RINGING, legs__status=Leg.Status.RINGING, legs__deadline__lt=now
    ).distinct()
    for row in each_locked(late_legs):
        change = Change(row, "system", outbox)
        change.now = now
        for leg in row.legs.filter(status=Leg.Status.RINGING, deadline__lt=now):
            dispatch.ring_out(change, leg)
        row.save()
        queues |= change.queues
    # A queue's maximum wait.
    waited = Call.objects.filter(phase__in=[Phase.QUEUED, Phase.RINGING], wait_deadline__lt=now)
    for row in each_locked(waited):
        change = Change(row, "system", outbox)
        dispatch.give_up(change, Reason.NO_ANSWER, why="the queue's maximum wait ran out")
        queues |= change.queues
    dispatch.settle(queues, outbox)
    return Outcome({}, outbox)
