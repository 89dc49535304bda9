"""Every change to a call, each in one transaction.

A service locks the call row (``select_for_update``), runs one step of the
pure state machine, saves the row, appends to the call's event log, and
returns an ``Outcome``: the ack's result fields and the events to deliver.
The caller of a service sends those events through the channel layer once
the transaction has committed, so no process keeps call state in memory and
two agents answering at once on two processes give exactly one winner.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportcall.directory.models import Agent, Queue
from supportcall.tokens.models import Role

from . import machine, protocol, router, sdp
from .machine import CallError, Media, Op, Party, Phase, Reason
from .models import Call, CallEvent, Connection, Leg

MAX_EARLY_CANDIDATES = 50


@dataclass(frozen=True)
class Actor:
    """Who sends a request: the claims of its token plus its connection."""

    role: Role
    identity: str
    channel: str
    site_id: int | None = None
    agent_id: int | None = None
    targets: tuple[str, ...] = ()
    display_name: str = ""
    context: dict[str, str] = field(default_factory=dict)

    @property
    def party(self) -> Party:
        return Party.CALLER if self.role == Role.VISITOR else Party.AGENT

    @property
    def agent(self) -> int:
        """The agent's id; only agents' connections have one."""
        assert self.agent_id is not None, "not an agent"
        return self.agent_id

    @property
    def site(self) -> int:
        assert self.site_id is not None, "not a visitor"
        return self.site_id


@dataclass(frozen=True)
class Delivery:
    """One event for one channel, or for a group (every connection of an agent)."""

    to: str
    event: dict[str, Any]
    group: bool = False
    skip: str = ""  # a channel of the group that must not get it


@dataclass
class Outcome:
    result: dict[str, Any] = field(default_factory=dict)
    outbox: list[Delivery] = field(default_factory=list)


def party_group(address: str) -> str:
    """The Channels group of every connection speaking for ``address``."""
    return "party." + hashlib.sha256(address.encode()).hexdigest()[:40]


class _Change:
    """What one transaction does to one call: the row, its log and the outbox."""

    def __init__(self, row: Call, actor: str, outbox: list[Delivery]):
        self.row, self.actor, self.outbox = row, actor, outbox
        self.now = timezone.now()

    def send(self, party: Party, event: dict[str, Any]) -> None:
        channel = self.row.channel_of(party)
        if channel:
            self.outbox.append(Delivery(channel, event))

    def send_agent(self, agent: Agent, event: dict[str, Any], skip: str = "") -> None:
        self.outbox.append(Delivery(party_group(agent.address), event, group=True, skip=skip))

    def log(self, name: str, before: str = "", **detail: Any) -> None:
        CallEvent.objects.create(
            call=self.row,
            actor=self.actor,
            name=name,
            phase_before=before,
            phase_after=self.row.phase,
            detail=detail,
        )

    def apply(self, step: machine.Step, name: str, **detail: Any) -> None:
        """Save a step: the row, a log line, and a call.state for every party it changed."""
        row, before = self.row, self.row.state()
        row.apply(step.call)
        for party in Party:
            if party is Party.AGENT and not row.agent_channel:
                continue  # the agent side is still ringing legs: see end_legs
            old, new = before.state_for(party), step.call.state_for(party)
            reason = step.ended.get(party, "")
            if old != new or reason:
                self.send(party, protocol.state(row.id, new, old, reason))
        if step.call.phase is Phase.ENDED and before.phase is not Phase.ENDED:
            row.ended, row.ring_deadline = self.now, None
            row.end_reason = step.ended.get(Party.CALLER, "")
            row.ended_by = _ended_by(self.actor, row)
            if not row.agent_channel:
                reason = step.ended.get(Party.AGENT, Reason.ERROR)
                self.end_legs(row.legs.filter(status=Leg.Status.RINGING), reason)
        if step.aborted is not None:
            self.send(
                step.aborted.by,
                protocol.op_result(
                    row.id,
                    step.aborted.op,
                    False,
                    "invalid_state",
                    "the call ended before the operation finished",
                ),
            )
        row.save()
        self.log(name, before.phase, **detail)

    def end_legs(self, legs: Any, reason: str, skip: str = "") -> None:
        """Stop ringing these agents, telling each of their connections why."""
        for leg in legs.select_related("agent__user"):
            leg.status, leg.reason, leg.ended = Leg.Status.ENDED, reason, self.now
            leg.save(update_fields=["status", "reason", "ended"])
            self.send_agent(
                leg.agent, protocol.state(self.row.id, "ended", "ringing", reason), skip=skip
            )

    def ring(self, agents: list[Agent], to: str) -> None:
        """Alert these agents: each gets the caller's offer and its candidates so far."""
        row = self.row
        self.apply(machine.ring(row.state()), "ring", agents=[a.address for a in agents], to=to)
        row.ring_deadline = self.now + timedelta(seconds=settings.SUPPORTCALL_RING_TIMEOUT)
        row.save(update_fields=["ring_deadline"])
        incoming = {
            "type": "call.incoming",
            "call_id": str(row.id),
            "from": {
                "address": row.caller_identity,
                "display_name": row.caller_display_name,
                "anonymous": True,
                "context": row.caller_context,
            },
            "to": to,
            "media": row.media,
            "sdp": row.offer_sdp,
        }
        for agent in agents:
            Leg.objects.create(call=row, agent=agent)
            self.send_agent(agent, incoming)
            self.send_agent(agent, protocol.state(row.id, "ringing", None))
            for candidate in row.caller_candidates:
                self.send_agent(agent, protocol.candidate(row.id, candidate))


def _ended_by(actor: str, row: Call) -> str:
    if actor == row.caller_identity:
        return "caller"
    return "system" if actor == "system" else "agent"


@contextmanager
def _locked(call_id: uuid.UUID, actor: Actor, outbox: list[Delivery]) -> Iterator[_Change]:
    """Lock a call the actor is a party to; anyone else's call is `not_found`."""
    with transaction.atomic():
        row = Call.objects.select_for_update().filter(id=call_id).first()
        if row is None or not _is_party(row, actor):
            raise CallError("not_found", f"you have no call {call_id}")
        yield _Change(row, actor.identity, outbox)


def _is_party(row: Call, actor: Actor) -> bool:
    if actor.role == Role.VISITOR:
        return row.caller_identity == actor.identity
    return row.agent_id == actor.agent or row.legs.filter(agent_id=actor.agent).exists()


def _ringing_leg(change: _Change, actor: Actor) -> Leg | None:
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
        change = _Change(row, actor.identity, outbox)
        change.log("create", to=to, media=kind)
        change.send(Party.CALLER, protocol.state(row.id, "initiated", None))
        _route(change, queue, agent, to)
    return Outcome({"call_id": str(row.id)}, outbox)


def _route(change: _Change, queue: Queue | None, agent: Agent | None, to: str) -> None:
    agents = router.candidates(queue, agent)
    if agents:
        change.ring(agents, to)
    else:
        change.apply(machine.give_up(change.row.state(), Reason.NO_AGENTS), "no_agents", to=to)


def operate(actor: Actor, call_id: uuid.UUID, op: Op, **fields: Any) -> Outcome:
    """One operation of the contract on one call."""
    outbox: list[Delivery] = []
    with _locked(call_id, actor, outbox) as change:
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
    outbox.append(Delivery(actor.channel, protocol.op_result(call_id, op, True)))
    return Outcome({"call_id": str(call_id)}, outbox)


def _accept(change: _Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    video = bool(f.get("video", False))
    step = machine.request(before, Party.AGENT, Op.ACCEPT, video=video)
    sdp.check_answer(f["sdp"], change.row.offer_sdp)
    assert leg is not None
    row = change.row
    row.agent_id, row.agent_channel, row.answer_sdp = leg.agent_id, actor.channel, f["sdp"]
    row.answered, row.ring_deadline = change.now, None
    leg.status = Leg.Status.ANSWERED
    leg.save(update_fields=["status"])
    # The accepting agent's other tabs and every other agent stop ringing.
    change.send_agent(
        leg.agent,
        protocol.state(row.id, "ended", "ringing", Reason.ANSWERED_ELSEWHERE),
        skip=actor.channel,
    )
    change.end_legs(row.legs.filter(status=Leg.Status.RINGING), Reason.ANSWERED_ELSEWHERE)
    change.send(Party.CALLER, protocol.answer(row.id, f["sdp"]))
    change.apply(step, Op.ACCEPT, video=video)


def _reject(
    change: _Change,
    actor: Actor,
    leg: Leg | None,
    before: machine.Call,
    *,
    op: Op = Op.REJECT,
    **f: Any,
) -> None:
    assert leg is not None
    others = change.row.legs.filter(status=Leg.Status.RINGING).exclude(pk=leg.pk).exists()
    step = machine.request(before, Party.AGENT, op, others_ringing=others)
    change.end_legs(change.row.legs.filter(pk=leg.pk), Reason.REJECTED)
    change.apply(step, Op.REJECT)


def _ignore(change: _Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    assert leg is not None
    step = machine.request(before, Party.AGENT, Op.IGNORE)
    change.end_legs(change.row.legs.filter(pk=leg.pk), Reason.IGNORED)
    change.apply(step, Op.IGNORE)


def _forward(
    change: _Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any
) -> None:
    assert leg is not None
    queue, agent = router.resolve(f["to"])
    if agent is not None and agent.pk == leg.agent_id:
        raise CallError("bad_request", "you cannot forward a call to yourself")
    agents = [a for a in router.candidates(queue, agent) if a.pk != leg.agent_id]
    if not agents:
        raise CallError("not_found", f"nobody at {f['to']} can take the call now")
    step = machine.request(before, Party.AGENT, Op.FORWARD)
    row = change.row
    change.end_legs(row.legs.filter(pk=leg.pk), Reason.FORWARDED)
    change.end_legs(row.legs.filter(status=Leg.Status.RINGING), Reason.ANSWERED_ELSEWHERE)
    row.queue = queue
    change.apply(step, Op.FORWARD, to=f["to"])
    change.ring(agents, f["to"])


def _end(change: _Change, actor: Actor, leg: Leg | None, before: machine.Call, **f: Any) -> None:
    if leg is not None:  # an agent hanging up a call still ringing at it rejects it
        _reject(change, actor, leg, before, op=Op.END)
        return
    change.apply(machine.request(before, actor.party, Op.END), Op.END)


def _mute(
    change: _Change,
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


def _tell_media(change: _Change, sender: Party) -> None:
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
    with _locked(call_id, actor, outbox) as change:
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
    with _locked(call_id, actor, outbox) as change:
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
    if actor.role != Role.AGENT:
        raise CallError("forbidden", "only agents have a presence")
    if status not in Agent.Presence.values:
        raise CallError("bad_request", "'status' must be 'available' or 'away'")
    Agent.objects.filter(pk=actor.agent).update(presence=status)
    event = {"type": "presence", "status": status}
    return Outcome({"status": status}, [Delivery(party_group(actor.identity), event, group=True)])


def connect(actor: Actor) -> None:
    Connection.objects.update_or_create(
        channel_name=actor.channel,
        defaults={"role": actor.role, "identity": actor.identity, "agent_id": actor.agent_id},
    )


def presence_of(actor: Actor) -> str:
    return Agent.objects.values_list("presence", flat=True).get(pk=actor.agent)


def disconnect(actor: Actor) -> Outcome:
    """A connection closed: its calls end `connection_lost`, its agent stops ringing there."""
    outbox: list[Delivery] = []
    Connection.objects.filter(channel_name=actor.channel).delete()
    party_calls = Call.objects.exclude(phase=Phase.ENDED)
    if actor.party is Party.CALLER:
        lost = party_calls.filter(caller_channel=actor.channel)
    else:
        lost = party_calls.filter(agent_channel=actor.channel, phase=Phase.ANSWERED)
    for call_id in lost.values_list("id", flat=True):
        with _locked(call_id, actor, outbox) as change:
            if change.row.phase != Phase.ENDED:
                change.apply(machine.lose(change.row.state(), actor.party), "connection_lost")
    if actor.party is Party.AGENT and not Connection.objects.filter(agent_id=actor.agent).exists():
        ringing = Leg.objects.filter(agent_id=actor.agent, status=Leg.Status.RINGING)
        for call_id in ringing.values_list("call_id", flat=True):
            with _locked(call_id, actor, outbox) as change:
                change.end_legs(
                    change.row.legs.filter(agent_id=actor.agent, status=Leg.Status.RINGING),
                    Reason.CONNECTION_LOST,
                )
                if (
                    change.row.phase == Phase.RINGING
                    and not change.row.legs.filter(status=Leg.Status.RINGING).exists()
                ):
                    change.apply(
                        machine.give_up(change.row.state(), Reason.NO_ANSWER),
                        "no_answer",
                        why="the last agent rung disconnected",
                    )
    return Outcome({}, outbox)


def _each_locked(calls: QuerySet[Call]) -> Iterator[Call]:
    """Each call of ``calls``, locked and re-read: another process may have acted on it since.

    The caller re-checks the row and changes it before asking for the next one.
    """
    for call_id in calls.values_list("id", flat=True):
        with transaction.atomic():
            row = Call.objects.select_for_update().get(id=call_id)
            if calls.filter(id=call_id).exists():
                yield row


def forget_connections() -> Outcome:
    """After a restart of the only process (the in-memory channel layer), nobody is connected.

    Its calls lost both parties with it: they end `connection_lost`, so no
    record stays open and no stale agent is rung.
    """
    Connection.objects.all().delete()
    for row in _each_locked(Call.objects.exclude(phase=Phase.ENDED)):
        _Change(row, "system", []).apply(
            machine.lose(row.state(), Party.CALLER), "connection_lost", why="server restart"
        )
    return Outcome({}, [])  # their channels died with the old process


def sweep(now: datetime | None = None) -> Outcome:
    """Act on every passed deadline: unanswered re-offers fail, unanswered calls end.

    Safe to run in every process at once: each call is re-checked under its lock.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    for row in _each_locked(Call.objects.filter(phase=Phase.ANSWERED, op_deadline__lt=now)):
        pending = row.state().pending
        assert pending is not None
        change = _Change(row, "system", outbox)
        change.apply(machine.expire(row.state()), "timeout", op=pending.op)
        change.send(
            pending.by,
            protocol.op_result(
                row.id, pending.op, False, "timeout", "the other party did not answer in time"
            ),
        )
    for row in _each_locked(Call.objects.filter(phase=Phase.RINGING, ring_deadline__lt=now)):
        change = _Change(row, "system", outbox)
        change.apply(machine.give_up(row.state(), Reason.NO_ANSWER), "no_answer")
    return Outcome({}, outbox)
