"""The supervisor's view: queues with their waiting calls, and every agent's presence and call."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from supportcall.directory.models import Agent, Queue
from supportcall.http import HttpError
from supportcall.vocabulary import ErrorCode

from . import availability
from .machine import Phase
from .models import Call


def snapshot() -> dict:
    now = timezone.now()
    queues = []
    for queue in Queue.objects.all():
        waiting = Call.objects.filter(queue=queue, phase__in=[Phase.QUEUED, Phase.RINGING])
        queues.append(
            {
                "address": queue.address,
                "name": queue.display_name or queue.name,
                "strategy": queue.strategy,
                "open": queue.schedule().is_open(now),
                "waiting": [
                    {
                        "call_id": str(c.id),
                        "caller": c.caller_display_name or "Anonymous visitor",
                        "state": c.phase,
                        "waited_s": round((now - c.created).total_seconds()),
                    }
                    for c in waiting.order_by("queued_at", "created")
                ],
            }
        )
    agents = []
    for agent in availability.with_presence(Agent.objects.all()):
        call = Call.objects.filter(agent=agent, phase=Phase.ANSWERED).first()
        agents.append(
            {
                "address": agent.address,
                "name": agent.name,
                "presence": availability.presence(agent),
                "queues": [q.name for q in agent.queues.all()],
                "call": {
                    "call_id": str(call.id),
                    "caller": call.caller_display_name or "Anonymous visitor",
                    "since_s": round((now - call.answered).total_seconds()) if call.answered else 0,
                }
                if call
                else None,
            }
        )
    return {"queues": queues, "agents": agents}


@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """For staff only: what every queue and agent is doing now."""
    if not request.user.is_authenticated:
        return HttpError(ErrorCode.UNAUTHORIZED, "log in first").response()
    if not request.user.is_staff:
        return HttpError(ErrorCode.FORBIDDEN, "the supervisor view is for staff").response()
    return JsonResponse(snapshot())
