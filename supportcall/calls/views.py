"""The public status of a site's lines, asked by the widget before anyone logs in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from supportcall.directory.hours import describe_opening
from supportcall.directory.models import Agent, Queue, Site, address
from supportcall.http import HttpError, cors
from supportcall.page_requests import page_endpoint
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

from . import availability
from .machine import CallError, Phase
from .models import Call


def queue_status(queue: Queue, now) -> dict:
    schedule = queue.schedule()
    waiting = Call.objects.filter(queue=queue, phase=Phase.QUEUED).count()
    estimate = availability.estimate(queue, waiting + 1)
    online = availability.online_count(queue)
    answering = availability.could_answer(queue.agents.all()).count()
    is_open = schedule.is_open(now)
    opening = None if is_open else schedule.next_opening(now)
    wait = None  # nobody will answer: no wait to promise
    if estimate.agents_available:
        wait = 0
    elif answering:
        wait = estimate.estimated_wait_s
    return {
        "address": queue.address,
        "name": queue.name,
        "display_name": queue.display_name or queue.name,
        "open": is_open,
        # Open, and someone who could answer (now or once free), or a line that keeps
        # callers waiting anyway: the rule distribution.offer applies to a call.
        "accepting": is_open and (answering > 0 or queue.wait_when_empty),
        "agents_online": online,
        "agents_answering": answering,
        "agents_available": estimate.agents_available,
        "waiting": waiting,
        "estimated_wait_s": wait,
        "timezone": queue.timezone,
        "next_open": opening.isoformat() if opening else None,
        "next_open_text": describe_opening(opening, now) if opening else None,
    }


def agent_status(agent: Agent) -> dict:
    """A direct line to one agent: it rings only if the agent is free now."""
    free = bool(availability.free(Agent.objects.filter(pk=agent.pk)))
    return {
        "address": agent.address,
        "name": agent.user.username,
        "display_name": str(agent),
        "open": True,
        "accepting": free,
        "agents_online": availability.online_count_of(agent),
        "agents_answering": int(free),
        "agents_available": int(free),
        "waiting": 0,
        "estimated_wait_s": 0 if free else None,
        "timezone": None,
        "next_open": None,
        "next_open_text": None,
    }


def line_status(site: Site, queues: list[dict], name: str, now) -> dict | None:
    """The line a widget's ``data-queue`` names (a queue of the site by name or address,
    or an agent of those queues), or None if it names none."""
    for queue in queues:
        if name in (queue["name"], queue["address"]):
            return queue
    try:
        _, agent = availability.resolve_for(
            name if "@" in name else address(name), tuple(q["address"] for q in queues)
        )
    except CallError:
        return None
    return agent_status(agent) if agent is not None else None


@page_endpoint
@require_GET
def site_status(request: HttpRequest, key: str) -> HttpResponse:
    """Whether a call is possible now, how many agents are free, and the wait to expect."""
    origin = request.headers.get("Origin")
    site = Site.objects.filter(key=key, enabled=True).first()
    if site is None:
        # Readable by any page: the widget of a mistyped data-site can say so (a key is
        # no secret, it is in every page that embeds the site's widget).
        return cors(
            HttpError(ErrorCode.NOT_FOUND, f"site {excerpt(key)} does not exist").response(),
            origin,
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
        # The widget's language when the page and the browser ask for none it speaks.
        "default_language": site.default_language,
        "accepting": any(q["accepting"] for q in queues),
        "open": any(q["open"] for q in queues),
        "agents_available": sum(q["agents_available"] for q in queues),
        "estimated_wait_s": first["estimated_wait_s"] if first else None,
        "next_open_text": first["next_open_text"] if first else None,
        "queues": queues,
    }
    line = request.GET.get("line", "").strip()[:300]
    if line:
        body["line"] = line_status(site, queues, line, now)
    return cors(JsonResponse(body), origin)
