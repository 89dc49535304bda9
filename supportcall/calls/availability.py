"""Where a call goes: which queue or agent an address names, and who can take it now.

Presence is computed from the database, never guessed: an agent is
``offline`` without a connection, ``away`` if it chose so, ``busy`` on as
many calls as it may take, and ``available`` otherwise. A *free* agent is an
available one who is not already being rung for another call, nor in after-call
work (wrap-up, see ``wrapup``). An agent who
*could answer* a call is one who will take it now or once free: online,
available by choice (busy on other calls or ringing for another is fine), and
not among those who declined it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from supportcall.db import only_row
from supportcall.directory.models import Agent, Queue, split_address
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode, Presence

from .machine import DECLINING, CallError, LegStatus, Phase
from .models import Call, Connection, Leg, WrapUp

MIN_TYPICAL_WAIT_S = 30.0


def resolve(to: str) -> tuple[Queue | None, Agent | None]:
    """The queue or the agent an address names; CallError if it names neither."""
    name = split_address(to)
    if name is None:
        raise CallError(ErrorCode.NOT_FOUND, f"{excerpt(to)} is not an address on this server")
    if name.startswith("anonymous-"):
        raise CallError(ErrorCode.FORBIDDEN, "anonymous visitors cannot be called")
    queue = only_row(Queue.objects.filter(name=name))
    if queue is not None:
        return queue, None
    agent = only_row(Agent.objects.filter(user__username=name, user__is_active=True))
    if agent is not None:
        return None, agent
    raise CallError(ErrorCode.NOT_FOUND, f"nobody has the address {excerpt(to)}")


def resolve_for(to: str, targets: tuple[str, ...]) -> tuple[Queue | None, Agent | None]:
    """The queue or agent a visitor whose site lets it call ``targets`` calls at ``to``.

    A visitor may call its site's queues and the agents in them. An address
    that names nobody and one the site may not call get the same answer, so
    that a visitor cannot list the server's agents and queues.
    """
    try:
        queue, agent = resolve(to)
    except CallError as e:
        if e.code != ErrorCode.NOT_FOUND:
            raise
        queue, agent = None, None
    if queue is not None and queue.address in targets:
        return queue, None
    if (
        agent is not None
        and agent.queues.filter(name__in=[t.partition("@")[0] for t in targets]).exists()
    ):
        return None, agent
    raise CallError(
        ErrorCode.NOT_FOUND, f"nobody this site's visitors can call has the address {excerpt(to)}"
    )


def with_presence(agents: QuerySet[Agent], call: Call | None = None) -> QuerySet[Any]:
    """Annotate what presence is computed from: connections, calls in progress (answered,
    or placed to a colleague), ringing (for another call than ``call``), wrap-up."""
    legs = Leg.objects.filter(agent=OuterRef("pk"), status=LegStatus.RINGING)
    if call is not None:
        legs = legs.exclude(call=call)
    return agents.annotate(
        online=Exists(Connection.objects.filter(agent=OuterRef("pk"))),
        # Calls it answered, and calls it placed to colleagues that have not ended.
        active=Count("calls", filter=Q(calls__phase=Phase.ANSWERED), distinct=True)
        + Count("placed_calls", filter=~Q(placed_calls__phase=Phase.ENDED), distinct=True),
        ringing=Exists(legs),
        wrapping=Exists(WrapUp.objects.filter(agent=OuterRef("pk"))),
    ).select_related("user")


def presence(agent: Agent) -> Presence:
    """offline, away, busy or available (``agent`` annotated by ``with_presence``)."""
    if not agent.online:  # type: ignore[attr-defined]
        return Presence.OFFLINE
    if agent.presence == Presence.AWAY:
        return Presence.AWAY
    if agent.active >= agent.max_calls:  # type: ignore[attr-defined]
        return Presence.BUSY
    return Presence.AVAILABLE


def free(
    agents: QuerySet[Agent], exclude: Collection[int] = (), call: Call | None = None
) -> list[Agent]:
    """Agents who can be rung now, the longest idle first (ringing for ``call`` itself is fine).

    Routing asks this at every step of every call: who is free is one SQL statement
    written out (``FREE``; the ORM's form, ``with_presence``, cost two milliseconds to
    build and compile, more than anything else a call does), and the agents are read
    only when someone is.
    """
    candidates, params = agents.order_by().values("pk").query.sql_with_params()
    sql = FREE.format(
        candidates=candidates,
        exclude=f"AND a.id NOT IN ({', '.join(['%s'] * len(exclude))})" if exclude else "",
        other_call="AND l.call_id <> %s" if call is not None else "",
    )
    args = [*params, Presence.AVAILABLE.value, *exclude, LegStatus.RINGING.value]
    if call is not None:
        args.append(Call._meta.pk.get_db_prep_value(call.pk, connection))  # type: ignore[union-attr]
    args += [Phase.ANSWERED.value, Phase.ENDED.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(
        Agent.objects.filter(pk__in=ids).select_related("user").order_by("idle_since", "pk")
    )


# The agents of ``candidates`` (a subquery) who are free: available by choice, online,
# not ringing (but for ``other_call``'s call), not in wrap-up, on fewer calls than they
# may take (calls answered, and calls placed to colleagues that have not ended). The same
# as ``with_presence`` says (tests/calls/test_routing.py holds them together).
FREE = f"""
SELECT a.id FROM {Agent._meta.db_table} a
WHERE a.id IN ({{candidates}}) AND a.presence = %s {{exclude}}
  AND EXISTS (SELECT 1 FROM {Connection._meta.db_table} c WHERE c.agent_id = a.id)
  AND NOT EXISTS (
    SELECT 1 FROM {Leg._meta.db_table} l WHERE l.agent_id = a.id AND l.status = %s {{other_call}}
  )
  AND NOT EXISTS (SELECT 1 FROM {WrapUp._meta.db_table} w WHERE w.agent_id = a.id)
  AND (SELECT COUNT(*) FROM {Call._meta.db_table} k WHERE k.agent_id = a.id AND k.phase = %s)
    + (SELECT COUNT(*) FROM {Call._meta.db_table} k
       WHERE k.caller_agent_id = a.id AND k.phase <> %s)
    < a.max_calls
"""


def skipped(agents: QuerySet[Agent], rung: list[Agent], exclude: set[int]) -> dict[str, str]:
    """Why each agent of ``agents`` was not rung: for the call's event log."""
    reasons = {}
    rung_ids = {a.pk for a in rung}
    for agent in with_presence(agents):
        if agent.pk in rung_ids:
            continue
        if agent.pk in exclude:
            reasons[agent.user.username] = "declined this call"
        elif presence(agent) != Presence.AVAILABLE:
            reasons[agent.user.username] = presence(agent)
        elif agent.ringing:  # type: ignore[attr-defined]
            reasons[agent.user.username] = "ringing for another call"
        elif agent.wrapping:  # type: ignore[attr-defined]
            reasons[agent.user.username] = "in wrap-up"
        else:
            reasons[agent.user.username] = "not chosen by the strategy"
    return reasons


def online_count(queue: Queue) -> int:
    return queue.agents.filter(Exists(Connection.objects.filter(agent=OuterRef("pk")))).count()


def online_count_of(agent: Agent) -> int:
    return int(Connection.objects.filter(agent=agent).exists())


def could_answer(agents: QuerySet[Agent], declined: Collection[int] = ()) -> QuerySet[Agent]:
    """Agents who could still answer a call, now or once their calls end: online and
    available by choice, and not among ``declined`` (who rejected or ignored it).

    Away and offline agents answer nobody; a busy agent frees up, so a caller
    may wait for one.
    """
    return (
        agents.filter(presence=Presence.AVAILABLE, max_calls__gt=0)
        .exclude(pk__in=declined)
        .filter(Exists(Connection.objects.filter(agent=OuterRef("pk"))))
    )


def pick(queue: Queue | None, candidates: list[Agent]) -> list[Agent]:
    """Whom to ring among free agents: everyone (ring_all, direct calls) or the longest idle."""
    if queue is not None and queue.strategy == Queue.Strategy.LONGEST_IDLE:
        return candidates[:1]
    return candidates


@dataclass(frozen=True)
class Estimate:
    position: int
    agents_available: int
    estimated_wait_s: int


def declined_by(call: Call) -> set[int]:
    """The agents who rejected or ignored ``call``."""
    return set(
        Leg.objects.filter(call=call, reason__in=DECLINING).values_list("agent_id", flat=True)
    )


@dataclass(frozen=True)
class Outlook:
    """What a queue's estimates are made from, read once however many callers wait: its
    typical answer time, who is free now, and who could answer once free."""

    typical_s: float
    free: tuple[int, ...]
    answering: tuple[int, ...]

    def estimate(self, position: int, declined: Collection[int] = ()) -> Estimate:
        """The wait at ``position``, shared among the agents who may take the call (not
        those in ``declined``, who turned it down; away ones answer nobody)."""
        agents = len([pk for pk in self.free if pk not in declined])
        per_agent = max(1, agents or len([pk for pk in self.answering if pk not in declined]))
        return Estimate(position, agents, round(self.typical_s * position / per_agent))


def outlook(queue: Queue) -> Outlook:
    """An honest guess's inputs, from the queue's recent answer times (three queries)."""
    recent = Call.objects.filter(queue=queue, answered__isnull=False).order_by("-answered")[:20]
    waits = [(c.answered - c.created).total_seconds() for c in recent if c.answered]
    # Nobody answers in no time: a queue answered instantly so far still promises no less.
    typical = max(sum(waits) / len(waits) if waits else 0.0, MIN_TYPICAL_WAIT_S)
    agents = queue.agents.all()
    return Outlook(
        typical,
        tuple(a.pk for a in free(agents)),
        tuple(could_answer(agents).values_list("pk", flat=True)),
    )


def estimate(queue: Queue, position: int, declined: Collection[int] = ()) -> Estimate:
    """The wait of one caller at ``position`` (see ``Outlook``)."""
    return outlook(queue).estimate(position, declined)
