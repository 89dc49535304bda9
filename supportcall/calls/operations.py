"""The call operations: one function per request, each in one transaction.

A handler takes the actor, the call id if the request names a call, and the
request's fields as keyword arguments (``accept(actor, call_id, sdp=...,
video=...)``); ``protocol.REQUESTS`` maps each request type to its handler.
It locks the call row (``select_for_update``), checks what only the database
knows (SDP, forward targets), runs one step of the pure state machine and
hands it to the ``Change``, which saves the row and the legs, logs the step
and puts the events its effects name in the outbox. It returns an
``Outcome``: the ack's result fields and those events, which the caller
sends through the channel layer once the transaction has committed. So no
process keeps call state in memory, and two agents answering at once on two
processes give exactly one winner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from supportcall.directory.models import Agent, AwayReason
from supportcall.precall import verdict
from supportcall.precall.limits import limits
from supportcall.text import excerpt
from supportcall.vocabulary import (
    REOFFER_OPS,
    SCREEN_OPS,
    ErrorCode,
    Media,
    Op,
    Presence,
    Reason,
    Role,
)

from . import availability, distribution, events, machine
from .change import Actor, Change, Delivery, Outcome, free_changed, locked, party_group
from .machine import CallError, Party, Phase
from .models import Call
from .sdp import check_answer, check_offer, check_reoffer, parse


def create_call(
    actor: Actor,
    *,
    to: str | None = None,
    media: str,
    sdp: str,
    check: dict[str, Any] | None = None,
    consult_of: uuid.UUID | None = None,
) -> Outcome:
    """A visitor calls a queue or an agent of its site; ``check`` is the result of its
    check before the call, handed to the agents rung. An agent calls a colleague
    (``call_colleague``)."""
    if actor.role == Role.AGENT:
        if check is not None:
            raise CallError(ErrorCode.BAD_REQUEST, "'check' is the visitor's")
        return call_colleague(actor, to=to, media=media, sdp=sdp, consult_of=consult_of)
    if consult_of is not None:
        raise CallError(ErrorCode.FORBIDDEN, "only the agent of a call consults about it")
    caller_check = None
    if check is not None:
        try:
            caller_check = verdict.from_wire(check, limits())
        except verdict.BadCheck as e:
            raise CallError(e.code, str(e)) from None
    _check_open_calls(actor)
    kind = Media(media)
    check_offer(sdp, kind)
    to = to or (actor.targets[0] if actor.targets else "")
    if not to:
        raise CallError(ErrorCode.BAD_REQUEST, "call.create needs 'to'")
    queue, agent = availability.resolve_for(to, actor.targets)
    if queue is not None:
        distribution.check_open(queue, timezone.now())
        distribution.check_room(queue)
    outbox: list[Delivery] = []
    with transaction.atomic():
        row = Call(
            site_id=actor.site,
            caller_identity=actor.identity,
            caller_display_name=actor.display_name,
            caller_context=actor.context,
            caller_verified=actor.verified,
            caller_check=caller_check,
            target=to,
            queue=queue,
            media=kind,
            offer_sdp=sdp,
            caller_channel=actor.channel,
        )
        row.save()
        change = Change(row, actor.identity, outbox, actor.channel, new=True)
        change.apply(machine.start(kind, via_queue=queue is not None), "create", to=to, media=kind)
        distribution.route(change, queue, agent, to)
        change.save()
    distribution.settle(change.own_queues, outbox, change.freed)
    return Outcome({"call_id": str(row.id)}, outbox)


def call_colleague(
    actor: Actor, *, to: str | None, media: str, sdp: str, consult_of: uuid.UUID | None
) -> Outcome:
    """An agent calls another agent, over the same contract as a visitor's call (it is the
    call's caller). With ``consult_of``: about the call it answered and holds, a consult
    (``machine.consult``) it may complete (``complete``) or cancel (``call.end``)."""
    if not to:
        raise CallError(ErrorCode.BAD_REQUEST, "call.create needs 'to'")
    kind = Media(media)
    check_offer(sdp, kind)
    _, agent = availability.resolve(to)
    if agent is None:
        raise CallError(ErrorCode.FORBIDDEN, "agents call agents, not queues")
    if agent.pk == actor.agent:
        raise CallError(ErrorCode.BAD_REQUEST, "you cannot call yourself")
    outbox: list[Delivery] = []
    with transaction.atomic():
        held = None
        if consult_of is not None:
            with locked(consult_of, actor, outbox) as held:
                going = held.row.consults.exclude(phase=Phase.ENDED).exists()
                step = machine.consult(held.call, actor.agent, consulting=going)
                held.apply(step, Op.CONSULT, to=agent.address)
        me = Agent.objects.select_related("user").get(pk=actor.agent)
        row = Call(
            caller_identity=actor.identity,
            caller_display_name=me.name,
            caller_agent_id=actor.agent,
            consult_of_id=consult_of,
            target=agent.address,
            media=kind,
            offer_sdp=sdp,
            caller_channel=actor.channel,
        )
        row.save()
        change = Change(row, actor.identity, outbox, actor.channel, new=True)
        start = machine.start(kind, from_agent=True, consult=consult_of is not None)
        change.apply(start, "create", to=agent.address, media=kind)
        distribution.route(change, None, agent, agent.address)
        change.save()
    if held is not None:
        outbox.append(Delivery(actor.channel, events.op_result(held.row.id, Op.CONSULT, True)))
    return Outcome({"call_id": str(row.id)}, outbox)


def _check_open_calls(actor: Actor) -> None:
    """One visitor, or one site, cannot hold more calls than a person or a team could use:
    a flood of ``call.create`` is refused before it costs anything but these counts.

    A connection's requests run one at a time, so a visitor's count is exact; the site's
    is not locked, and creates running at that moment on other processes may each pass.
    """
    counts = (
        Call.objects.exclude(phase=Phase.ENDED)
        .filter(site_id=actor.site)
        .aggregate(site=Count("pk"), mine=Count("pk", filter=Q(caller_identity=actor.identity)))
    )
    limit = settings.SUPPORTCALL_VISITOR_CALLS
    if counts["mine"] >= limit:
        raise CallError(
            ErrorCode.RATE_LIMITED, f"at most {limit} open call(s) at a time; end one first"
        )
    if counts["site"] >= settings.SUPPORTCALL_SITE_CALLS:
        raise CallError(ErrorCode.RATE_LIMITED, "this site has too many calls now; try later")


def _operate(
    actor: Actor, call_id: uuid.UUID, op: Op, act: Callable[[Change], None], video: bool = False
) -> Outcome:
    """Run one operation on one locked call: check it, let ``act`` carry it out, and (unless
    it waits for an answer) report its result and move the queues it freed."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        before = change.call
        machine.check(before, actor.party, op, agent=actor.agent_id, video=video)
        act(change)
        change.save()
        if change.call.phase is not before.phase:
            change.touch()
    if op not in REOFFER_OPS:
        outbox.append(Delivery(actor.channel, events.op_result(call_id, op, True)))
    distribution.settle(change.own_queues, outbox, change.freed)
    return Outcome({"call_id": str(call_id)}, outbox)


def _step(change: Change, actor: Actor, op: Op, **flags: Any) -> machine.Step:
    return machine.request(change.call, actor.party, op, agent=actor.agent_id, **flags)


def accept(actor: Actor, call_id: uuid.UUID, *, sdp: str, video: bool = False) -> Outcome:
    """An agent answers a call ringing at it; everyone else rung for it stops ringing."""

    def act(change: Change) -> None:
        step = _step(change, actor, Op.ACCEPT, video=video)
        row = change.row
        check_answer(sdp, row.offer_sdp)
        row.agent_channel, row.answer_sdp = actor.channel, sdp
        change.reroute(answered=True)  # first: the caller's next candidates may use it
        change.send(Party.CALLER, events.answer(row.id, sdp))
        waited = round((change.now - row.created).total_seconds(), 1)
        change.apply(step, Op.ACCEPT, video=video, waited_s=waited)

    return _operate(actor, call_id, Op.ACCEPT, act, video=video)


def _leg_ends(actor: Actor, call_id: uuid.UUID, op: Op) -> Outcome:
    """The agent's leg ends (the machine says how the call goes on); routing moves it on."""

    def act(change: Change) -> None:
        change.apply(_step(change, actor, op), op)
        distribution.after_leg_ended(change)

    return _operate(actor, call_id, op, act)


def reject(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """The agent declines: a queue call moves on to the next agent, a direct call ends."""
    return _leg_ends(actor, call_id, Op.REJECT)


def ignore(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """The agent stops ringing without telling the caller."""
    return _leg_ends(actor, call_id, Op.IGNORE)


def end(actor: Actor, call_id: uuid.UUID, *, reason: str | None = None) -> Outcome:
    """Hang up (or, for an agent being rung, reject); ``reason="media_failed"``: the
    client's media never connected, and the call ends so for both parties."""
    if reason is None:
        return _leg_ends(actor, call_id, Op.END)
    if reason != Reason.MEDIA_FAILED:
        raise CallError(ErrorCode.BAD_REQUEST, f"'reason' may only be {Reason.MEDIA_FAILED}")

    def act(change: Change) -> None:
        step = machine.media_fails(change.call, actor.party, agent=actor.agent_id)
        change.apply(step, Op.END, reason=reason)

    return _operate(actor, call_id, Op.END, act)


def forward(actor: Actor, call_id: uuid.UUID, *, to: str) -> Outcome:
    """To an agent who is free now, or to a queue someone is online for (it may wait there)."""

    def act(change: Change) -> None:
        queue, agent = availability.resolve(to)
        if agent is not None and agent.pk == actor.agent:
            raise CallError(ErrorCode.BAD_REQUEST, "you cannot forward a call to yourself")
        if agent is not None and not availability.free(
            Agent.objects.filter(pk=agent.pk), call=change.row
        ):
            raise CallError(ErrorCode.NOT_FOUND, f"{excerpt(to)} cannot take the call now")
        if queue is not None:
            distribution.check_open(queue, change.now)
            distribution.check_room(queue)
            others = change.call.declined | {actor.agent}
            if (
                not queue.wait_when_empty
                and not availability.could_answer(queue.agents.all(), others).exists()
            ):
                raise CallError(
                    ErrorCode.NOT_FOUND, f"nobody at {excerpt(to)} can take the call now"
                )
        step = _step(change, actor, Op.FORWARD, to_queue=queue is not None)
        change.row.queue = queue
        change.apply(step, Op.FORWARD, to=to)
        distribution.route(change, queue, agent, to)

    return _operate(actor, call_id, Op.FORWARD, act)


def transfer(actor: Actor, call_id: uuid.UUID, *, to: str, notes: str | None = None) -> Outcome:
    """Blind transfer of the agent's answered call to an agent free now or to a queue.

    The agent's part ends ``transferred`` (its wrap-up begins); the caller is told
    (``call.transferring``), waits, and is asked for a fresh offer (``call.reoffer``), with
    which the target is rung (``fresh_offer``). ``notes``: for the new agent, kept on the
    call's record.
    """

    def act(change: Change) -> None:
        row = change.row
        queue, agent = availability.resolve(to)
        if agent is not None and agent.pk == actor.agent:
            raise CallError(ErrorCode.BAD_REQUEST, "you cannot transfer a call to yourself")
        if agent is not None and not availability.free(Agent.objects.filter(pk=agent.pk), call=row):
            raise CallError(ErrorCode.NOT_FOUND, f"{excerpt(to)} cannot take the call now")
        if queue is not None:
            distribution.check_open(queue, change.now)
        step = _step(change, actor, Op.TRANSFER, to_queue=queue is not None)
        target = queue or agent
        assert target is not None
        name = queue.display_name or queue.name if queue is not None else agent.name  # type: ignore[union-attr]
        _hand_on(change, actor, step, target.address, name, notes)
        row.queue = queue  # the target's from now on (saved with the operation)

    return _operate(actor, call_id, Op.TRANSFER, act)


def _hand_on(
    change: Change, actor: Actor, step: machine.Step, to: str, name: str, notes: str | None = None
) -> None:
    """Carry out a transfer's step (``call.transfer``'s or ``call.complete``'s): the caller
    is told and asked for a fresh offer; the agent who handed the call on wraps up."""
    row = change.row
    row.transfer_to, row.wait_deadline = to, None
    row.caller_candidates = []  # the fresh offer's come after it
    row.screen_mid, row.screen_asked = "", None  # the fresh offer has no screen m-line
    # The fresh offer must come soon; the target then rings SUPPORTCALL_TRANSFER_TIMEOUT.
    row.ring_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_OP_TIMEOUT)
    if notes is not None:
        row.notes = notes
    change.send(Party.CALLER, events.transferring(row.id, to, name))
    warm = step.call.transfer is not None and step.call.transfer.warm
    change.apply(step, Op.TRANSFER, to=to, **({"warm": True} if warm else {}))
    change.wrap_up(actor.agent)  # as after an end: by the queue the agent answered for


def complete(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """The consulting agent completes its consult ``call_id``: the consult call ends
    ``transferred`` for both agents, and the call it held moves to the colleague, who
    agreed: rung with the caller's fresh offer whatever its availability, its client
    answers at once (``call.incoming``'s ``consulted``). The first agent's part of the
    held call ends ``transferred``."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as consulted:
        machine.check(consulted.call, actor.party, Op.COMPLETE, agent=actor.agent_id)
        held_id = consulted.row.consult_of_id
        if held_id is None:  # its call was deleted (the privacy erasure): nothing to complete
            raise CallError(ErrorCode.INVALID_STATE, "the consulted call is gone")
        # The consult call is locked first: only this operation locks two calls.
        with locked(held_id, replace(actor, calling=False), outbox) as held:
            over, moved = machine.complete(consulted.call, held.call, actor.agent)
            assert consulted.call.agent is not None  # complete needs the consult answered
            colleague = consulted.agent(consulted.call.agent)
            consulted.apply(over, Op.COMPLETE, call=str(held_id))
            consulted.save()
            _hand_on(held, actor, moved, colleague.address, colleague.name)
            held.row.queue = None  # a direct call to the colleague from now on
            held.save()
    outbox.append(Delivery(actor.channel, events.op_result(call_id, Op.COMPLETE, True)))
    # The first agent is free now (unless it wraps up): its queues' callers may ring it.
    distribution.settle(consulted.queues | held.queues, outbox)
    return Outcome({"call_id": str(call_id)}, outbox)


def fresh_offer(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    """The caller's fresh offer for a transfer (asked by ``call.reoffer``): the target is
    rung with it, or, with nobody there free, the transfer falls back at once."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row = change.row
        step = machine.fresh_offer(change.call, actor.party)
        check_offer(sdp, Media(row.media))
        row.offer_sdp, row.caller_candidates = sdp, []
        change.apply(step, "fresh_offer")
        distribution.route_transfer(change)
        change.save()
    distribution.settle(change.own_queues, outbox, change.freed)
    return Outcome({"call_id": str(call_id)}, outbox)


def _mute(actor: Actor, call_id: uuid.UUID, op: Op) -> Outcome:
    return _operate(actor, call_id, op, lambda change: change.apply(_step(change, actor, op), op))


def mute(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """Stop sending audio; the other party is told."""
    return _mute(actor, call_id, Op.MUTE)


def unmute(actor: Actor, call_id: uuid.UUID) -> Outcome:
    return _mute(actor, call_id, Op.UNMUTE)


def _reoffer(actor: Actor, call_id: uuid.UUID, op: Op, sdp: str) -> Outcome:
    """A re-offer: pending until the other party's ``call.answer`` (see ``answer``)."""

    def act(change: Change) -> None:
        row = change.row
        step = _step(change, actor, op)
        screen = op is Op.SCREEN_START if op in SCREEN_OPS else None
        check_reoffer(
            sdp, row.offer_sdp, hold=op is Op.HOLD, screen_mid=row.screen_mid, screen=screen
        )
        row.op_sdp = sdp
        row.op_deadline = change.now + timedelta(seconds=settings.SUPPORTCALL_OP_TIMEOUT)
        change.apply(step, op)
        change.send(actor.party.other, events.offer(row.id, op, sdp))

    return _operate(actor, call_id, op, act)


def hold(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    return _reoffer(actor, call_id, Op.HOLD, sdp)


def unhold(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    return _reoffer(actor, call_id, Op.UNHOLD, sdp)


def video_start(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    return _reoffer(actor, call_id, Op.VIDEO_START, sdp)


def video_stop(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    return _reoffer(actor, call_id, Op.VIDEO_STOP, sdp)


def screen_start(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    """The visitor shares its screen: the first time, on a video m-line the re-offer adds."""
    return _reoffer(actor, call_id, Op.SCREEN_START, sdp)


def screen_stop(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    """The visitor stops sharing; the screen's m-line stays, sending nothing."""
    return _reoffer(actor, call_id, Op.SCREEN_STOP, sdp)


def restart_media(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    """An ICE restart after a network change, held or not."""
    return _reoffer(actor, call_id, Op.RESTART_MEDIA, sdp)


def answer(actor: Actor, call_id: uuid.UUID, *, sdp: str) -> Outcome:
    """The other party answers a re-offer: the pending operation succeeds."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row, party = change.row, actor.party
        step = machine.answer(change.call, party, agent=actor.agent_id)
        check_answer(sdp, row.op_sdp)
        assert step.finished is not None
        initiator = party.other
        if step.finished in SCREEN_OPS:
            # The screen's m-line is the last of the offer, for the rest of the call.
            row.screen_mid = row.screen_mid or parse(row.op_sdp)[-1].mid
            row.screen_asked = None  # the agent's ask is answered
        change.send(initiator, events.answer(row.id, sdp))
        change.apply(step, "answer", op=step.finished)
        change.send(initiator, events.op_result(row.id, step.finished, True))
    return Outcome({"call_id": str(call_id)}, outbox)


def relay_candidate(actor: Actor, call_id: uuid.UUID, *, candidate: dict | None) -> Outcome:
    """Pass an ICE candidate on to whoever the machine says needs it."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        row, event = change.row, events.candidate(call_id, candidate)
        relay = machine.relay(change.call, actor.party, agent=actor.agent_id)
        if relay.keep:
            if len(row.caller_candidates) >= settings.SUPPORTCALL_EARLY_CANDIDATES:
                raise CallError(
                    ErrorCode.TOO_LARGE,
                    f"at most {settings.SUPPORTCALL_EARLY_CANDIDATES} candidates before the answer",
                )
            row.caller_candidates = [*row.caller_candidates, candidate]
            row.save(update_fields=["caller_candidates"])
        for to in relay.to:
            if isinstance(to, Party):
                change.send(to, event)
            else:
                change.send_agent(to, event)
    return Outcome({"call_id": str(call_id)}, outbox)


def set_presence(actor: Actor, *, status: str, reason: str | int | None = None) -> Outcome:
    """The agent's choice; coming back makes it idle from now and may serve waiting calls.
    Away may say why: one of the admin's away reasons, by id or label."""
    if actor.role != Role.AGENT:
        raise CallError(ErrorCode.FORBIDDEN, "only agents have a presence")
    if status not in set(Presence):
        raise CallError(ErrorCode.BAD_REQUEST, "'status' must be 'available' or 'away'")
    agents = Agent.objects.filter(pk=actor.agent)
    now = timezone.now()
    why = None
    if status == Agent.Presence.AVAILABLE:
        if reason is not None:
            raise CallError(ErrorCode.BAD_REQUEST, "only away takes a 'reason'")
        agents.exclude(presence=status).update(
            presence=status, idle_since=now, missed_in_row=0, away_reason=None, away_since=None
        )
    else:
        why = None if reason is None else away_reason(reason)
        agents.update(presence=status, away_reason=why, away_since=now)
    event = events.presence(status, away_reason=why.label if why else "")
    outbox = [Delivery(party_group(actor.identity), event, group=True)]
    free_changed(outbox)
    distribution.settle(set(), outbox, {actor.agent})
    return Outcome({"status": status, **({"reason": why.label} if why else {})}, outbox)


def away_reason(value: str | int) -> AwayReason:
    """An active away reason named by its id or its label; ``bad_request`` for any other."""
    reasons = AwayReason.objects.filter(active=True)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)  # not "¹": isdigit() alone takes any script's digits
    if isinstance(value, int):
        # A row's id is a 64-bit integer: a larger number names none (and must not overflow).
        found = reasons.filter(pk=value).first() if 0 < value < 2**63 else None
    else:
        found = reasons.filter(label__iexact=value).first()
    if found is None:
        labels = ", ".join(reasons.values_list("label", flat=True))
        raise CallError(
            ErrorCode.BAD_REQUEST, f"{excerpt(str(value))} is not an away reason (use: {labels})"
        )
    return found


def queue_position(actor: Actor, call_id: uuid.UUID) -> Outcome:
    """Where the caller's own waiting call stands (anyone else's call is `not_found`)."""
    row = Call.objects.filter(id=call_id, caller_identity=actor.identity).first()
    if actor.role != Role.VISITOR or row is None:
        raise CallError(ErrorCode.NOT_FOUND, f"you have no call {call_id}")
    if row.phase != Phase.QUEUED or row.queue is None:
        raise CallError(ErrorCode.INVALID_STATE, f"the call is {row.phase}, not waiting in a queue")
    ahead = Call.objects.filter(
        queue=row.queue, phase=Phase.QUEUED, queued_at__lt=row.queued_at
    ).count()
    estimate = availability.estimate(row.queue, ahead + 1, availability.declined_by(row))
    return Outcome(
        {
            "call_id": str(call_id),
            "position": estimate.position,
            "agents_available": estimate.agents_available,
            "estimated_wait_s": estimate.estimated_wait_s,
        }
    )
