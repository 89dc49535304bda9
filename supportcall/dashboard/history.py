"""What the dashboard shows an agent: who it can forward to, and its recent calls."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext

from supportcall.calls import availability
from supportcall.calls.machine import LegStatus, Party, Phase
from supportcall.calls.models import Call, Leg
from supportcall.directory.hours import OpeningWords, describe_opening
from supportcall.directory.models import Agent, Queue
from supportcall.quality import summary as quality
from supportcall.vocabulary import State

RECENT_CALLS = 20


def agent_of(user: AbstractBaseUser | AnonymousUser) -> Agent | None:
    """The active agent a logged-in user is, or None (not logged in, not an agent)."""
    if not user.is_authenticated or not user.is_active:
        return None
    return Agent.objects.filter(user_id=user.pk).select_related("user").first()


def forward_targets(agent: Agent) -> list[dict[str, str]]:
    """Every other active agent and every queue, as the forward list shows them."""
    agents = Agent.objects.filter(user__is_active=True).exclude(pk=agent.pk).select_related("user")
    return [{"kind": "agent", "address": a.address, "name": a.name} for a in agents] + [
        {"kind": "queue", "address": q.address, "name": q.display_name or q.name}
        for q in Queue.objects.all()
    ]


def targets_now(agent: Agent) -> list[dict[str, Any]]:
    """The forward list with who is free now: each other agent's ``free`` (it would be rung)
    and ``presence``; each queue's ``free``, how many of its agents but this one are."""
    others = Agent.objects.filter(user__is_active=True).exclude(pk=agent.pk)
    free = {a.pk for a in availability.free(others)}
    shown = [
        {
            "kind": "agent",
            "address": a.address,
            "name": a.name,
            "free": a.pk in free,
            "presence": availability.presence(a),
        }
        for a in availability.with_presence(others)
    ]
    for queue in Queue.objects.prefetch_related("agents"):
        members = {a.pk for a in queue.agents.all()}
        shown.append(
            {
                "kind": "queue",
                "address": queue.address,
                "name": queue.display_name or queue.name,
                "free": len(members & free),
            }
        )
    return shown


def opening_words() -> OpeningWords:
    """describe_opening's words in the agent's language (weekdays from Django's catalogue)."""
    return OpeningWords(
        today=gettext("today {time}"),
        tomorrow=gettext("tomorrow {time}"),
        weekday=gettext("{day} {time}"),
        weekdays=tuple(str(WEEKDAYS[day]) for day in range(7)),
    )


def queue_hours(agent: Agent) -> list[dict[str, Any]]:
    """The agent's queues, open or closed now; a closed one says when it opens, in its own
    time zone ("Monday 9:00", "Europe/Paris"), as its callers are told."""
    now = timezone.now()
    rows = []
    for queue in agent.queues.prefetch_related("hours", "closed_days").order_by("name"):
        schedule = queue.schedule()
        is_open = schedule.is_open(now)
        opening = None if is_open else schedule.next_opening(now)
        # Who waits now, as queue.waiting says it: a page that connects after the last
        # change would otherwise know nothing until the next one.
        waiting = Call.objects.filter(queue=queue, phase=Phase.QUEUED).order_by("queued_at")
        first = waiting.first()
        rows.append(
            {
                "address": queue.address,
                "name": queue.display_name or queue.name,
                "open": is_open,
                "timezone": queue.timezone,
                "opens_at": opening.isoformat() if opening else None,
                "opens": describe_opening(opening, now, opening_words()) if opening else None,
                "waiting": waiting.count(),
                "longest_wait_s": round((now - first.queued_at).total_seconds())
                if first and first.queued_at
                else 0,
            }
        )
    return rows


def _outcome(leg: Leg) -> str:
    """How the call went for this agent, in the contract's words (its states and end reasons)."""
    call = leg.call
    if leg.status == LegStatus.RINGING:
        return State.RINGING
    if leg.status == LegStatus.ENDED:
        return leg.reason
    if call.ended is None:
        return State.IN_CALL
    return call.end_reason_for(Party.AGENT)


def recent_calls(agent: Agent, limit: int = RECENT_CALLS) -> list[dict[str, Any]]:
    """The calls that rang this agent, newest first: one row per call (its latest leg)."""
    legs = Leg.objects.filter(agent=agent).select_related("call").order_by("-started", "-pk")
    rows: dict[str, dict[str, Any]] = {}
    for leg in legs[: limit * 3]:
        call = leg.call
        if str(call.id) in rows:
            continue
        answered = leg.status == LegStatus.ANSWERED and call.answered is not None
        end = call.ended or timezone.now()
        rows[str(call.id)] = {
            "id": str(call.id),
            "started": leg.started.isoformat(),
            "caller": {"display_name": call.caller_display_name, "address": call.caller_identity},
            "context": call.caller_context,
            "verified": call.caller_verified,
            "to": call.target,
            "media": call.media,
            "answered": call.answered.isoformat() if answered and call.answered else None,
            "duration_s": round((end - call.answered).total_seconds())
            if answered and call.answered
            else None,
            "outcome": _outcome(leg),
            # The visitor's stars and words, on the calls this agent answered.
            "rating": {"stars": call.rating, "comment": call.rating_comment}
            if answered and call.rating is not None
            else None,
        }
        if len(rows) == limit:
            break
    # Each party's quality over the call (average and worst MOS, the path), one query.
    measured = quality.summaries(list(rows))
    for call_id, row in rows.items():
        row["quality"] = measured.get(call_id, {})
    return list(rows.values())
