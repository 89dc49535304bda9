"""The supervisor's view: queues with their waiting calls, and every agent's presence and call."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from supportcall.directory.models import Agent, Queue
from supportcall.http import HttpError
from supportcall.quality import summary as quality
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

from . import availability, charts, figures
from .machine import Phase
from .models import Call, WrapUp


def snapshot() -> dict:
    now = timezone.now()
    queues = []
    for queue in Queue.objects.all():
        waiting = list(
            Call.objects.filter(queue=queue, phase__in=[Phase.QUEUED, Phase.RINGING]).order_by(
                "queued_at", "created"
            )
        )
        queues.append(
            {
                "address": queue.address,
                "name": queue.display_name or queue.name,
                "strategy": queue.strategy,
                "open": queue.schedule().is_open(now),
                "longest_wait_s": max(
                    (round((now - c.created).total_seconds()) for c in waiting), default=0
                ),
                "waiting": [
                    {
                        "call_id": str(c.id),
                        "caller": c.caller_display_name or "Anonymous visitor",
                        "state": c.phase,
                        "waited_s": round((now - c.created).total_seconds()),
                    }
                    for c in waiting
                ],
            }
        )
    agents = []
    listed = list(availability.with_presence(Agent.objects.select_related("away_reason")))
    answered: dict[int | None, Call] = {}
    for row in Call.objects.filter(phase=Phase.ANSWERED):  # each agent's first, as .first()
        answered.setdefault(row.agent_id, row)
    live = quality.latest([c.pk for c in answered.values()])
    wraps = {w.agent_id: w for w in WrapUp.objects.all()}
    for agent in listed:
        call = answered.get(agent.pk)
        wrap = wraps.get(agent.pk)
        agents.append(
            {
                "address": agent.address,
                "name": agent.name,
                "presence": availability.presence(agent),
                "queues": [q.name for q in agent.queues.all()],
                # Away: why (a label of the admin's list, or "" when not said) and since when.
                "away": {
                    "reason": agent.away_reason.label if agent.away_reason else "",
                    "label": gettext(agent.away_reason.label) if agent.away_reason else "",
                    "since": agent.away_since.isoformat() if agent.away_since else None,
                    "since_s": round((now - agent.away_since).total_seconds())
                    if agent.away_since
                    else None,
                }
                if agent.presence == Agent.Presence.AWAY
                else None,
                "wrap_up": {
                    "call_id": str(wrap.call_id),
                    "until": wrap.until.isoformat() if wrap.until else None,
                    "since_s": round((now - wrap.started).total_seconds()),
                }
                if wrap
                else None,
                "call": {
                    "call_id": str(call.id),
                    "caller": call.caller_display_name or "Anonymous visitor",
                    "since_s": round((now - call.answered).total_seconds()) if call.answered else 0,
                    # Each party's latest quality report (mos, warnings, candidate_type).
                    "quality": live.get(str(call.id), {}),
                }
                if call
                else None,
            }
        )
    return {"queues": queues, "agents": agents}


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """Why this request may not see the team's view (staff only), or None."""
    if not request.user.is_authenticated:
        return HttpError(ErrorCode.UNAUTHORIZED, "log in first").response()
    if not request.user.is_staff:
        return HttpError(ErrorCode.FORBIDDEN, "the supervisor view is for staff").response()
    return None


@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """For staff only: what every queue and agent is doing now."""
    return _refusal(request) or JsonResponse(snapshot())


@require_GET
def team_figures(request: HttpRequest) -> HttpResponse:
    """For staff only: each queue's figures for today (docs/metrics.md)."""
    return _refusal(request) or JsonResponse(
        {
            "queues": [
                {
                    **figures.today(queue),
                    "name": queue.display_name or queue.name,
                    "chart_url": reverse("figures-chart", args=[queue.name]),
                }
                for queue in Queue.objects.all()
            ]
        }
    )


@require_GET
def figures_chart(request: HttpRequest, name: str) -> HttpResponse:
    """For staff only: a queue's calls today by hour, as an SVG bar chart."""
    if refused := _refusal(request):
        return refused
    queue = Queue.objects.filter(name=name).first()
    if queue is None:
        return HttpError(ErrorCode.NOT_FOUND, f"no queue {excerpt(name)}").response()
    day = figures.today(queue)
    return render(
        request,
        "agent/figures_chart.svg",
        {"day": day, **charts.bars(day["by_hour"])},
        content_type="image/svg+xml",
    )
