"""The two logins of the contract: anonymous (server-side, for visitors) and agent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportcall.directory.models import Agent
from supportcall.http import HttpError, from_pages, json_body, optional_str, page_site
from supportcall.vocabulary import ErrorCode, Role

from .issuing import issue, new_anonymous_identity

MAX_CONTEXT_FIELDS = 20
MAX_CONTEXT_VALUE = 500


def _login_response(token: str, identity: str, **extra: Any) -> JsonResponse:
    body = {
        "token": token,
        "expires_in": settings.SUPPORTCALL_TOKEN_TTL,
        "identity": identity,
        "ws_url": "/ws/v1/calls",
        **extra,
        "ice_servers": settings.SUPPORTCALL_ICE_SERVERS,
    }
    return JsonResponse(body, status=201)


def _context(body: dict[str, Any]) -> dict[str, str]:
    context = body.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in context.items()
    ):
        raise HttpError(ErrorCode.BAD_REQUEST, "'context' must be a flat object of string values")
    if len(context) > MAX_CONTEXT_FIELDS:
        raise HttpError(
            ErrorCode.BAD_REQUEST, f"'context' may have at most {MAX_CONTEXT_FIELDS} fields"
        )
    if any(len(k) > 64 or len(v) > MAX_CONTEXT_VALUE for k, v in context.items()):
        raise HttpError(
            ErrorCode.BAD_REQUEST,
            f"'context' keys are at most 64 and values {MAX_CONTEXT_VALUE} characters",
        )
    return context


@from_pages
def anonymous_login(request: HttpRequest) -> HttpResponse:
    """Make an anonymous identity that may only call the site's queues and agents."""
    body = json_body(request)
    display_name = optional_str(body, "display_name", 100)
    context = _context(body)
    site = page_site(request, body)
    targets = [q.address for q in site.queues.all()]
    identity = new_anonymous_identity()
    token, _ = issue(
        Role.VISITOR,
        identity,
        site=site,
        targets=targets,
        origin=request.headers.get("Origin", ""),
        display_name=display_name,
        context=context,
    )
    return _login_response(token, identity, targets=targets)


def _no_response(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@csrf_exempt
@require_http_methods(["POST"])
def agent_login(request: HttpRequest) -> HttpResponse:
    """A token for an agent's WebSocket, by password or by the dashboard's session."""
    try:
        body = json_body(request)
        if "username" in body or "password" in body:
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str):
                raise HttpError(ErrorCode.BAD_REQUEST, "'username' and 'password' must be strings")
            user = authenticate(request, username=username, password=password)
            if user is None:
                raise HttpError(ErrorCode.UNAUTHORIZED, "wrong username or password")
        elif request.user.is_authenticated:
            # The view is exempt for password logins; a session login must pass CSRF.
            rejected = CsrfViewMiddleware(_no_response).process_view(request, _no_response, (), {})
            if rejected is not None:
                raise HttpError(ErrorCode.FORBIDDEN, "the CSRF token is missing or wrong")
            user = request.user
        else:
            raise HttpError(ErrorCode.UNAUTHORIZED, "log in, or send 'username' and 'password'")
        agent = Agent.objects.filter(user=user).select_related("user").first()
        if agent is None or not user.is_active:
            raise HttpError(ErrorCode.FORBIDDEN, f"{user.username} is not an agent")
        token, _ = issue(Role.AGENT, agent.address, user=user)
        return _login_response(token, agent.address)
    except HttpError as e:
        return e.response()
