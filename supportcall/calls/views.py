"""The public status of a site's lines, asked by the widget before anyone logs in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from supportcall.directory.hours import describe_opening
from supportcall.directory.models import Queue, Site
from supportcall.http import HttpError, cors
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

from . import availability
from .machine import Phase
from .models import Call


def queue_status(queue: Queue, now) -> dict:
    schedule = queue.schedule()
    waiting = Call.objects.filter(queue=queue, phase=Phase.QUEUED).count()
    estimate = availability.estimate(queue, waiting + 1)
    online = availability.online_count(queue)
    is_open = schedule.is_open(now)
    opening = None if is_open else schedule.next_opening(now)
    return {
        "address": queue.address,
        "name": queue.name,
        "display_name": queue.display_name or queue.name,
        "open": is_open,
        # Open, and someone to take the call now or a line that keeps callers waiting.
        "accepting": is_open and (online > 0 or queue.wait_when_empty),
        "agents_online": online,
        "agents_available": estimate.agents_available,
        "waiting": waiting,
        "estimated_wait_s": estimate.estimated_wait_s if estimate.agents_available == 0 else 0,
        "next_open": opening.isoformat() if opening else None,
        "next_open_text": describe_opening(opening, now) if opening else None,
    }


@require_GET
def site_status(request: HttpRequest, key: str) -> HttpResponse:
    """Whether a call is possible now, how many agents are free, and the wait to expect."""
    origin = request.headers.get("Origin")
    site = Site.objects.filter(key=key, enabled=True).first()
    if site is None:
        return cors(
            HttpError(ErrorCode.NOT_FOUND, f"site {excerpt(key)} does not exist").response(), None
        )
    if not site.allows_origin(origin):
        return cors(
            HttpError(ErrorCode.FORBIDDEN, f"origin {excerpt(origin)} is not allowed").response(),
            None,
        )
    now = timezone.now()
    queues = [queue_status(q, now) for q in site.queues.all()]
    first = queues[0] if queues else None
    body = {
        "site": site.key,
        "accepting": any(q["accepting"] for q in queues),
        "open": any(q["open"] for q in queues),
        "agents_available": sum(q["agents_available"] for q in queues),
        "estimated_wait_s": first["estimated_wait_s"] if first else None,
        "next_open_text": first["next_open_text"] if first else None,
        "queues": queues,
    }
    return cors(JsonResponse(body), origin)
