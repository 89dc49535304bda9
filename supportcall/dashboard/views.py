"""The agent dashboard: one page (the calls happen in the browser, over phone.js) and
the agent's recent calls as JSON."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supportcall.directory.models import Agent, AwayReason
from supportcall.http import HttpError
from supportcall.vocabulary import ErrorCode

from .history import agent_of, forward_targets, queue_hours, recent_calls, targets_now


@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard for agents; a clear refusal (403) for any other account."""
    agent = agent_of(request.user)
    if agent is None:
        return render(request, "agent/not_an_agent.html", status=403)
    config = {
        "identity": agent.address,
        "name": agent.name,
        "callsUrl": reverse("dashboard:calls"),
        "targetsUrl": reverse("dashboard:targets"),
        "loginUrl": resolve_url(settings.LOGIN_URL),
        "forwardTargets": forward_targets(agent),
        "callbacksUrl": reverse("callback-inbox"),
        # The team view is for staff: what every queue and agent is doing now.
        "supervisorUrl": reverse("supervisor") if request.user.is_staff else None,
        "figuresUrl": reverse("team-figures") if request.user.is_staff else None,
    }
    # The away reasons of the admin's list, each in the agent's language when it is one we
    # translate (the four a new installation has).
    away_reasons = [
        {"id": r.pk, "label": r.label, "name": gettext(r.label)}
        for r in AwayReason.objects.filter(active=True)
    ]
    return render(
        request,
        "agent/dashboard.html",
        {
            "agent": agent,
            "config": config,
            "away_reasons": away_reasons,
            "notes_max": settings.SUPPORTCALL_WRAP_UP_NOTES,
        },
    )


@never_cache
@require_GET
def calls(request: HttpRequest) -> JsonResponse:
    """This agent's recent calls, newest first, and its queues' hours (session-authenticated,
    agents only)."""
    agent = _agent_or_refusal(request)
    if isinstance(agent, JsonResponse):
        return agent
    return JsonResponse({"calls": recent_calls(agent), "queues": queue_hours(agent)})


@never_cache
@require_GET
def targets(request: HttpRequest) -> JsonResponse:
    """Whom a call can be forwarded or transferred to, and who of them is free now (the
    dashboard reloads it while its lists are shown)."""
    agent = _agent_or_refusal(request)
    if isinstance(agent, JsonResponse):
        return agent
    return JsonResponse({"targets": targets_now(agent)})


def _agent_or_refusal(request: HttpRequest) -> Agent | JsonResponse:
    """The logged-in agent, or the JSON refusal (401 not logged in, 403 not an agent)."""
    if not request.user.is_authenticated:
        return HttpError(ErrorCode.UNAUTHORIZED, "log in as an agent first").response()
    agent = agent_of(request.user)
    if agent is None:
        return HttpError(
            ErrorCode.FORBIDDEN, f"{request.user.get_username()} is not an agent"
        ).response()
    return agent
