"""One transaction on one call: who acts, what changes, what must be delivered.

Services lock a call row, run one step of the pure state machine through a
``Change``, and collect the events to deliver in an outbox that the caller
sends through the channel layer once the transaction has committed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportcall.directory.models import Agent
from supportcall.tokens.models import Role

from . import machine, protocol
from .machine import CallError, Party, Phase, Reason
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


class Change:
    """What one transaction does to one call: the row, its log and the outbox."""

    def __init__(self, row: Call, by: str, outbox: list[Delivery]):
        # ``by``: the identity acting (logged as the event's actor), or "system".
        self.row, self.by, self.outbox = row, by, outbox
        self.now = timezone.now()
        # Queues whose waiting calls may move once this commits (see dispatch.settle).
        self.queues: set[int] = set()

    def touch(self, agent: Agent | None = None) -> None:
        """Mark the call's queue, and the agent's, as worth a new look."""
        if self.row.queue_id:
            self.queues.add(self.row.queue_id)
        if agent is not None:
            self.queues.update(agent.queues.values_list("pk", flat=True))

    def send(self, party: Party, event: dict[str, Any]) -> None:
        channel = self.row.channel_of(party)
        if channel:
            self.outbox.append(Delivery(channel, event))

    def send_agent(self, agent: Agent, event: dict[str, Any], skip: str = "") -> None:
        self.outbox.append(Delivery(party_group(agent.address), event, group=True, skip=skip))

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
            row.ended_by = ended_by(self.by, row)
            if not row.agent_channel:
                reason = step.ended.get(Party.AGENT, Reason.ERROR)
                self.end_legs(row.legs.filter(status=Leg.Status.RINGING), reason)
            elif row.agent is not None:  # the agent is free again: idle from now on
                Agent.objects.filter(pk=row.agent.pk).update(idle_since=self.now)
                self.touch(row.agent)
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

    def end_legs(self, legs: Any, reason: str, skip: str = "") -> list[Leg]:
        """Stop ringing these agents, telling each of their connections why."""
        ended = list(legs.select_related("agent__user"))
        for leg in ended:
            leg.status, leg.reason, leg.ended = Leg.Status.ENDED, reason, self.now
            leg.save(update_fields=["status", "reason", "ended"])
            self.send_agent(
                leg.agent, protocol.state(self.row.id, "ended", "ringing", reason), skip=skip
            )
            self.touch(leg.agent)
        return ended

    def ring(self, agents: list[Agent], to: str, deadline: datetime | None, **why: Any) -> None:
        """Alert these agents: each gets the caller's offer and its candidates so far."""
        row = self.row
        self.apply(
            machine.ring(row.state()),
            "ring",
            agents=[a.address for a in agents],
            to=to,
            until=deadline.isoformat() if deadline else None,
            **why,
        )
        alert = incoming(row, to)
        for agent in agents:
            Leg.objects.create(call=row, agent=agent, deadline=deadline)
            self.send_agent(agent, alert)
            self.send_agent(agent, protocol.state(row.id, "ringing", None))
            for candidate in row.caller_candidates:
                self.send_agent(agent, protocol.candidate(row.id, candidate))


def incoming(row: Call, to: str | None = None) -> dict[str, Any]:
    """The alert of an agent rung for ``row``: who calls, what was called, the offer."""
    return {
        "type": "call.incoming",
        "call_id": str(row.id),
        "from": {
            "address": row.caller_identity,
            "display_name": row.caller_display_name,
            "anonymous": True,
            "context": row.caller_context,
        },
        "to": to or row.target,
        "media": row.media,
        "sdp": row.offer_sdp,
    }


def ended_by(actor: str, row: Call) -> str:
    if actor == row.caller_identity:
        return "caller"
    return "system" if actor == "system" else "agent"


@contextmanager
def locked(call_id: uuid.UUID, actor: Actor, outbox: list[Delivery]) -> Iterator[Change]:
    """Lock a call the actor is a party to; anyone else's call is `not_found`."""
    with transaction.atomic():
        row = Call.objects.select_for_update().filter(id=call_id).first()
        if row is None or not is_party(row, actor):
            raise CallError("not_found", f"you have no call {call_id}")
        yield Change(row, actor.identity, outbox)


def is_party(row: Call, actor: Actor) -> bool:
    if actor.role == Role.VISITOR:
        return row.caller_identity == actor.identity
    return row.agent_id == actor.agent or row.legs.filter(agent_id=actor.agent).exists()


def each_locked(calls: QuerySet[Call]) -> Iterator[Call]:
    """Each call of ``calls``, locked and re-read: another process may have acted on it since.

    The caller re-checks the row and changes it before asking for the next one.
    """
    for call_id in calls.values_list("id", flat=True):
        with transaction.atomic():
            row = Call.objects.select_for_update().get(id=call_id)
            if calls.filter(id=call_id).exists():
                yield row
