"""Where a call goes: which queue or agent an address names, and who can take it now."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from supportcall.directory.models import Agent, Queue, split_address

from .machine import CallError, Phase
from .models import Call, Connection


def resolve(to: str) -> tuple[Queue | None, Agent | None]:
    """The queue or the agent an address names; CallError if it names neither."""
    name = split_address(to)
    if name is None:
        raise CallError("not_found", f"{to!r} is not an address on this server")
    if name.startswith("anonymous-"):
        raise CallError("forbidden", "anonymous visitors cannot be called")
    queue = Queue.objects.filter(name=name).first()
    if queue is not None:
        return queue, None
    agent = Agent.objects.filter(user__username=name, user__is_active=True).first()
    if agent is not None:
        return None, agent
    raise CallError("not_found", f"nobody has the address {to}")


def check_allowed(queue: Queue | None, agent: Agent | None, targets: tuple[str, ...]) -> None:
    """A visitor may call its site's queues and the agents in them."""
    if queue is not None and queue.address in targets:
        return
    if (
        agent is not None
        and agent.queues.filter(name__in=[t.partition("@")[0] for t in targets]).exists()
    ):
        return
    raise CallError("forbidden", "this site's visitors cannot call that address")


def available(agents: QuerySet[Agent]) -> list[Agent]:
    """Agents who can be rung now: connected, available, and not in a call."""
    return list(
        agents.filter(presence=Agent.Presence.AVAILABLE)
        .filter(Exists(Connection.objects.filter(agent=OuterRef("pk"))))
        .exclude(Exists(Call.objects.filter(agent=OuterRef("pk"), phase=Phase.ANSWERED)))
        .select_related("user")
        .order_by("pk")
    )


def candidates(queue: Queue | None, agent: Agent | None) -> list[Agent]:
    """Who to ring for a call to this queue or agent (a queue rings all its free agents)."""
    if queue is not None:
        return available(queue.agents.all())
    assert agent is not None
    return available(Agent.objects.filter(pk=agent.pk))
