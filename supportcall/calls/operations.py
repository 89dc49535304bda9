"""The call operations: every request that changes a call, each in one transaction.

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
from supportcall.tokens.models import Role

from . import availability, distribution, machine, protocol, sdp
from .change import Actor, Change, Delivery, Outcome, locked, party_group
from .machine import CallError, Media, Op, Party, Phase, Reason
from .models import Call, Leg

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


def create_call(actor: Actor, to: str | None, media: str, offer: str) -> Outcome:
    """A visitor calls a queue or an agent of its site."""
    if actor.role != Role.VISITOR:
        raise CallError("forbidden", "agents cannot create calls")
    kind = Media(media)
    sdp.check_offer(offer, kind)
    to = to or (actor.targets[0] if actor.targets else "")
    if not to:
        raise CallError("bad_request", "call.create needs 'to'")
    queue, agent = availability.resolve(to)
    availability.check_allowed(queue, agent, actor.targets)
    if queue is not None:
        distribution.check_open(queue, timezone.now())
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
        distribution.route(change, queue, agent, to)
        row.save()
    distribution.settle(change.queues, outbox)
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
    distribution.settle(change.queues, outbox)
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
    distribution.after_leg_ended(change)


def _ignore(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    assert leg is not None
    step = machine.request(before, Party.AGENT, Op.IGNORE)
    change.end_legs(change.row.legs.filter(pk=leg.pk), Reason.IGNORED)
    change.apply(step, Op.IGNORE)
    distribution.after_leg_ended(change)


def _forward(change: Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    """To an agent who is free now, or to a queue someone is online for (it may wait there)."""
    assert leg is not None
    queue, agent = availability.resolve(f["to"])
    if agent is not None and agent.pk == leg.agent_id:
        raise CallError("bad_request", "you cannot forward a call to yourself")
    if agent is not None and not availability.free(
        Agent.objects.filter(pk=agent.pk), call=change.row
    ):
        raise CallError("not_found", f"{f['to']} cannot take the call now")
    if queue is not None:
        distribution.check_open(queue, change.now)
        if availability.online_count(queue) == 0 and not queue.wait_when_empty:
            raise CallError("not_found", f"nobody at {f['to']} can take the call now")
    step = machine.request(before, Party.AGENT, Op.FORWARD)
    row = change.row
    change.end_legs(row.legs.filter(pk=leg.pk), Reason.FORWARDED)
    change.end_legs(row.legs.filter(status=Leg.Status.RINGING), Reason.ANSWERED_ELSEWHERE)
    row.queue = queue
    change.apply(step, Op.FORWARD, to=f["to"])
    distribution.route(change, queue, agent, f["to"])


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
    distribution.settle(distribution.queues_of(actor.agent), outbox)
    return Outcome({"status": status}, outbox)


def chosen_presence(actor: Actor) -> str:
    """What the agent chose (available or away); offline and busy are computed."""
    return Agent.objects.values_list("presence", flat=True).get(pk=actor.agent)


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
    estimate = availability.estimate(row.queue, ahead + 1)
    return Outcome(
        {
            "call_id": str(call_id),
            "position": estimate.position,
            "agents_available": estimate.agents_available,
            "estimated_wait_s": estimate.estimated_wait_s,
        }
    )


def _seconds(later: datetime | None, earlier: datetime) -> float | None:
    return round((later - earlier).total_seconds(), 1) if later else None
