"""One transaction on one call: who acts, what changes, what must be delivered.

Services lock a call row, run one step of the pure state machine, and hand the
step to a ``Change``, which carries out its effects and collects the events to
deliver in an outbox that the caller sends through the channel layer once the
transaction has committed.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportcall.db import only_row
from supportcall.directory.models import Agent
from supportcall.vocabulary import ErrorCode, Reason, Role
from supportcall.webhooks import calls as webhooks
from supportcall.webhooks.models import Endpoint
from supportcall.webhooks.record import site_endpoints

from . import events, machine, wrapup
from .machine import CallError, LegStatus, Party, Phase
from .models import Call, CallEvent, Leg


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
    verified: dict[str, Any] | None = None  # what the site's backend signed (tokens.identity)
    # An agent acting on a call it placed to a colleague: it is that call's caller.
    calling: bool = False

    @property
    def party(self) -> Party:
        return Party.CALLER if self.role == Role.VISITOR or self.calling else Party.AGENT

    def on(self, call_id: uuid.UUID) -> Actor:
        """This actor as a party of the call ``call_id``: an agent is the caller of the calls
        it placed to colleagues, and the agent side of the others."""
        if self.role != Role.AGENT:
            return self
        placed = Call.objects.filter(id=call_id, caller_agent_id=self.agent_id).exists()
        return replace(self, calling=placed)

    @property
    def agent(self) -> int:
        """The agent's id; only agents' connections have one."""
        assert self.agent_id is not None, "not an agent"
        return self.agent_id

    @property
    def site(self) -> int:
        assert self.site_id is not None, "not a visitor"
        return self.site_id


# The kinds of channel-layer message a Delivery is (each a consumer handler's name):
EVENT = "call.event"  # an event for the client
ROUTE = "call.route"  # for the consumer itself: where an answered call's candidates go
BATCH = "call.batch"  # several of those for one connection, in order (delivery.batched)


@dataclass(frozen=True)
class Delivery:
    """One event for one channel, or for a group (every connection of an agent)."""

    to: str
    event: dict[str, Any]
    group: bool = False
    skip: str = ""  # a channel of the group that must not get it
    kind: str = EVENT
    # Not about any call's order (targets.changed): sent after the rest (delivery.batched).
    unordered: bool = False


@dataclass
class Outcome:
    result: dict[str, Any] = field(default_factory=dict)
    outbox: list[Delivery] = field(default_factory=list)


# Who acts when the server does on its own (sweeps, routing): logged as the actor.
SYSTEM = "system"


def party_group(address: str) -> str:
    """The Channels group of every connection speaking for ``address``."""
    return "party." + hashlib.sha256(address.encode()).hexdigest()[:40]


def targets_group() -> str:
    """The Channels group of the agents' connections that show a forward or transfer list
    (``targets.watch``): told when who is free may have changed."""
    return "targets"


def queues_of(agents: Collection[int]) -> set[int]:
    """The queues these agents answer for (one query; none for no agents)."""
    if not agents:
        return set()
    memberships = Agent.queues.through.objects.filter(agent_id__in=agents)
    return set(memberships.values_list("queue_id", flat=True))


def free_changed(outbox: list[Delivery]) -> None:
    """Who is free may have changed (presence, an agent's first or last connection, a call
    answered or ended, a wrap-up): the watching dashboards reload their lists. Once per
    outbox however many agents one request frees, and only once it commits, like the rest."""
    group = targets_group()
    if not any(item.group and item.to == group for item in outbox):
        outbox.append(Delivery(group, events.targets_changed(), group=True, unordered=True))


class Change:
    """What one transaction does to one call: the row, its legs, its log and the outbox.

    A ``Change`` carries out a machine step: it saves the call, writes the legs
    the effects start, answer or stop, and puts every event the effects name in
    the outbox. It decides nothing: who is told what, and why, is the step's.
    """

    def __init__(
        self, row: Call, by: str, outbox: list[Delivery], channel: str = "", new: bool = False
    ):
        # ``by``: the identity acting (logged as the event's actor), or SYSTEM;
        # ``channel``: the connection that sent the request, if one did;
        # ``new``: the call was just created (it has no legs yet).
        self.row, self.by, self.outbox, self.channel = row, by, outbox, channel
        self.now = timezone.now()
        self.call = row.state(legs=() if new else None)  # the machine's view, kept by apply
        # Queues whose waiting calls may move once this commits (see distribution.settle),
        # and agents now free whose queues may (looked up by settle, or by ``queues``).
        self.own_queues: set[int] = set()
        self.freed: set[int] = set()
        # What a Ring effect alerts with: the address called, and when the leg rings out.
        self.alert_to: str | None = None
        self.leg_deadline: datetime | None = None
        self._agents: dict[int, Agent] = {}
        self._endpoints: list[Endpoint] | None = None
        self._saved = _columns(row)

    def save(self) -> None:
        """Write the columns changed since the last save (none: no query). The SDPs and the
        candidates are long and rarely change: rewriting them at each step cost most of
        a save."""
        now = _columns(self.row)
        changed = [name for name, value in now.items() if self._saved.get(name) != value]
        if changed:
            self.row.save(update_fields=changed)
            self._saved = now

    def reroute(self, answered: bool) -> None:
        """Tell both parties' connections where the call's ICE candidates go from now on
        (the other party's channel while answered, nobody once not): they relay them
        without the database (see routes.py). ``route_version`` orders these messages."""
        row = self.row
        row.route_version += 1
        for me, peer in (
            (row.caller_channel, row.agent_channel),
            (row.agent_channel, row.caller_channel),
        ):
            if me:
                route = {
                    "call_id": str(row.id),
                    "version": row.route_version,
                    "peer": peer if answered else "",
                }
                self.outbox.append(Delivery(me, route, kind=ROUTE))

    def touch(self, agent: int | None = None) -> None:
        """Mark the call's queue, and the agent's, as worth a new look."""
        if self.row.queue_id:
            self.own_queues.add(self.row.queue_id)
        if agent is not None:
            self.freed.add(agent)

    @property
    def queues(self) -> set[int]:
        """Every queue worth a new look, the freed agents' included (one query if any):
        for callers that gather several changes' queues. ``settle(change.own_queues,
        outbox, change.freed)`` looks the agents' up in its own query."""
        return self.own_queues | queues_of(self.freed)

    def site_endpoints(self) -> list[Endpoint]:
        """The call's site's webhook endpoints, read once per change: one operation's steps
        are several events (created, then ringing)."""
        if self._endpoints is None:
            assert self.row.site_id is not None, "a call between agents has no webhooks"
            self._endpoints = site_endpoints(self.row.site_id)
        return self._endpoints

    def agent(self, agent_id: int) -> Agent:
        if agent_id not in self._agents:
            self._agents[agent_id] = Agent.objects.select_related("user").get(pk=agent_id)
        return self._agents[agent_id]

    def send(self, party: Party, event: dict[str, Any]) -> None:
        channel = self.row.channel_of(party)
        if channel:
            self.outbox.append(Delivery(channel, event))

    def send_agent(self, agent_id: int, event: dict[str, Any], skip: str = "") -> None:
        """To every connection of an agent (all its tabs), but ``skip``."""
        address = self.agent(agent_id).address
        self.outbox.append(Delivery(party_group(address), event, group=True, skip=skip))

    def log(self, name: str, before: str = "", **detail: Any) -> None:
        CallEvent.objects.create(
            call=self.row,
            actor=self.by,
            name=name,
            phase_before=before,
            phase_after=self.row.phase,
            detail=detail,
        )

    def apply(self, step: machine.Step, name: str, **detail: Any) -> None:
        """Save a step: the row, what its effects say, and a log line."""
        row, before = self.row, self.call
        row.apply(step.call)
        self.call = step.call
        if before.phase is Phase.ANSWERED and step.call.phase is not Phase.ANSWERED:
            self.reroute(answered=False)  # before the events: nothing is relayed after the end
        self.carry_out(step)
        if step.call.phase is Phase.ENDED and before.phase is not Phase.ENDED:
            row.ended, row.ring_deadline = self.now, None
            row.end_reason = step.reason_for(Party.CALLER) or ""
            row.ended_by = ended_by(self.by, row)
            # The agent (and an agent who placed the call) is free again: idle from now on.
            for agent in (before.agent, row.caller_agent_id):
                if agent is not None:
                    Agent.objects.filter(pk=agent).update(idle_since=self.now)
                    self.touch(agent)
                    free_changed(self.outbox)
        self.save()
        self.log(name, before.phase, **detail)
        # In this transaction: the outbox.
        webhooks.changed(row, before.phase, name, self.now, self.site_endpoints)
        if step.call.phase is Phase.ENDED and before.phase is not Phase.ENDED and before.agent:
            self.wrap_up(before.agent)

    def wrap_up(self, agent_id: int) -> None:
        """The agent of the answered call that just ended (or that it transferred) begins
        its after-call work."""
        wrap = wrapup.start(self.row, agent_id, self.now)
        if wrap is not None:
            self.send_agent(agent_id, wrapup.event(wrap, self.now))
            CallEvent.objects.create(
                call=self.row,
                actor=SYSTEM,
                name="wrap_up",
                phase_before=Phase.ENDED,
                phase_after=Phase.ENDED,
                detail={
                    "agent": self.agent(agent_id).address,
                    "until": wrap.until.isoformat() if wrap.until else None,
                },
            )

    def carry_out(self, step: machine.Step) -> None:
        """Do what a step's effects say: legs and events (the call itself is ``apply``'s)."""
        row = self.row
        rung: list[int] = []
        for effect in step.effects:
            if isinstance(effect, machine.Tell):
                self._tell(effect)
            elif isinstance(effect, machine.Ring):
                Leg.objects.create(call=row, agent_id=effect.agent, deadline=self.leg_deadline)
                self.send_agent(effect.agent, events.incoming(row, self.alert_to))
                rung.append(effect.agent)
            elif isinstance(effect, machine.StopLeg):
                row.legs.filter(agent_id=effect.agent, status=LegStatus.RINGING).update(
                    status=LegStatus.ENDED, reason=effect.reason, ended=self.now
                )
                self.touch(effect.agent)
            elif isinstance(effect, machine.HandedOn):
                row.legs.filter(agent_id=effect.agent, status=LegStatus.ANSWERED).update(
                    status=LegStatus.ENDED, reason=Reason.TRANSFERRED, ended=self.now
                )
                row.agent_channel = ""  # nothing more for the agent who handed it on
                Agent.objects.filter(pk=effect.agent).update(idle_since=self.now)
                self.touch(effect.agent)
                free_changed(self.outbox)
            elif isinstance(effect, machine.AskOffer):
                self.send(Party.CALLER, events.reoffer(row.id, effect.kind))
            elif isinstance(effect, machine.Answered):
                row.legs.filter(agent_id=effect.agent, status=LegStatus.RINGING).update(
                    status=LegStatus.ANSWERED
                )
                row.agent_id, row.answered, row.ring_deadline = effect.agent, self.now, None
                Agent.objects.filter(pk=effect.agent).update(missed_in_row=0)
                self.touch(effect.agent)
                free_changed(self.outbox)
            elif isinstance(effect, machine.TellScreen):
                self.send(Party.AGENT, events.screen(row.id, effect.sharing, row.screen_mid))
            else:
                event = events.media(row.id, effect.muted, effect.video, effect.link or "")
                self.send(effect.to, event)
        # The caller's candidates so far, after each rung agent's alert and state.
        for agent in rung:
            for candidate in row.caller_candidates:
                self.send_agent(agent, events.candidate(row.id, candidate))
        if step.aborted is not None:
            self.send(
                step.aborted.by,
                events.op_result(
                    row.id,
                    step.aborted.op,
                    False,
                    ErrorCode.INVALID_STATE,
                    "the call ended before the operation finished",
                ),
            )

    def _tell(self, tell: machine.Tell) -> None:
        event = events.state(self.row.id, tell.state, tell.previous, tell.reason or "")
        if isinstance(tell.to, Party):
            self.send(tell.to, event)
        else:
            self.send_agent(tell.to, event, skip=self.channel if tell.but_actor else "")

    def ring(self, agents: list[Agent], to: str, deadline: datetime | None, **why: Any) -> None:
        """Alert these agents: each gets the caller's offer and its candidates so far."""
        self.alert_to, self.leg_deadline = to, deadline
        self._agents.update((a.pk, a) for a in agents)
        self.apply(
            machine.ring(self.call, [a.pk for a in agents]),
            "ring",
            agents=[a.address for a in agents],
            to=to,
            until=deadline.isoformat() if deadline else None,
            **why,
        )


def ended_by(actor: str, row: Call) -> str:
    if actor == row.caller_identity:
        return Party.CALLER
    return SYSTEM if actor == SYSTEM else Party.AGENT


@contextmanager
def locked(call_id: uuid.UUID, actor: Actor, outbox: list[Delivery]) -> Iterator[Change]:
    """Lock a call the actor is a party to; anyone else's call is `not_found`."""
    with transaction.atomic():
        row = only_row(Call.objects.select_for_update().filter(id=call_id))
        if row is None or (actor.party is Party.CALLER and row.caller_identity != actor.identity):
            raise CallError(ErrorCode.NOT_FOUND, f"you have no call {call_id}")
        change = Change(row, actor.identity, outbox, actor.channel)
        if actor.party is Party.AGENT and not is_agent_of(change.call, row, actor.agent):
            raise CallError(ErrorCode.NOT_FOUND, f"you have no call {call_id}")
        yield change


def is_agent_of(call: machine.CallState, row: Call, agent: int) -> bool:
    """Whether the agent answered the call or was rung for it (the legs are the machine's)."""
    return row.agent_id == agent or any(leg.agent == agent for leg in call.legs)


def _columns(row: Call) -> dict[str, Any]:
    """The row's columns as saved, JSON ones copied (they may be changed in place)."""
    values = {}
    for column in Call._meta.concrete_fields:
        if not column.primary_key:
            value = getattr(row, column.attname)
            if isinstance(value, dict | list):
                value = copy.deepcopy(value)
            values[column.attname] = value
    return values


def each_locked(calls: QuerySet[Call], until: Callable[[], bool] = lambda: False) -> Iterator[Call]:
    """Each call of ``calls``, locked and re-read: another process may have acted on it since.

    The caller re-checks the row and changes it before asking for the next one.
    It stops when ``until()`` says so: breaking out of the loop instead would roll
    back the last call's transaction.
    """
    for call_id in calls.values_list("id", flat=True):
        if until():
            return
        with transaction.atomic():
            row = Call.objects.select_for_update().get(id=call_id)
            if calls.filter(id=call_id).exists():
                yield row
