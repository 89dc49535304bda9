from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from supportcall.http import HttpError, from_pages, json_body, page_site
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

from . import services


@from_pages
def leave_callback(request: HttpRequest) -> HttpResponse:
    """A visitor leaves a callback request (from the widget, on an allowed origin)."""
    body = json_body(request)
    callback = services.leave(page_site(request, body), body)
    return JsonResponse({"id": callback.pk, "status": callback.status}, status=201)


def _agent(request: HttpRequest):
    from supportcall.directory.models import Agent

    if not request.user.is_authenticated:
        raise HttpError(ErrorCode.UNAUTHORIZED, "log in as an agent")
    agent = Agent.objects.filter(user=request.user).first()
    if agent is None:
        raise HttpError(ErrorCode.FORBIDDEN, f"{request.user.get_username()} is not an agent")
    return agent


@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    """The missed-calls inbox: open and claimed requests of the agent's queues, a page at a
    time (``?limit=``, ``?after=`` the previous page's ``next``)."""
    try:
        agent = _agent(request)
        limit = _number(request, "limit", services.INBOX_PAGE, 1, services.MAX_INBOX_PAGE)
        after = _number(request, "after", 0, 0, 2**63 - 1)
    except HttpError as e:
        return e.response()
    page = services.inbox(agent, after=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    return JsonResponse(
        {
            "callbacks": [c.as_json() for c in page],
            "next": str(page[-1].pk) if more else None,
            "open": services.waiting(agent),
        }
    )


def _number(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    value = request.GET.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 19 and low <= int(value) <= high):
        raise HttpError(ErrorCode.BAD_REQUEST, f"'{name}' must be a whole number {low} to {high}")
    return int(value)


@require_http_methods(["POST"])
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Claim a request (so nobody else calls back) or mark it done."""
    try:
        if action not in ("claim", "done"):
            raise HttpError(ErrorCode.NOT_FOUND, f"no action {excerpt(action)}: use claim or done")
        agent = _agent(request)
        callback = (services.claim if action == "claim" else services.finish)(agent, pk)
    except HttpError as e:
        return e.response()
    return JsonResponse(callback.as_json())
