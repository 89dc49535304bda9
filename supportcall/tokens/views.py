"""The two logins of the contract: anonymous (server-side, for visitors) and agent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportcall.directory.models import Agent
from supportcall.http import (
    HttpError,
    check_rate,
    check_text,
    context_field,
    from_pages,
    json_body,
    optional_str,
    page_site,
)
from supportcall.vocabulary import ErrorCode, Role

from .ice import ice_config
from .identity import verify_identity
from .issuing import issue, new_anonymous_identity


def _login_response(token: str, identity: str, **extra: Any) -> JsonResponse:
    body = {
        "token": token,
        "expires_in": settings.SUPPORTCALL_TOKEN_TTL,
        "identity": identity,
        "ws_url": "/ws/v1/calls",
        **extra,
        **ice_config(identity),
    }
    return JsonResponse(body, status=201)


@from_pages
def anonymous_login(request: HttpRequest) -> HttpResponse:
    """Make an anonymous identity that may only call the site's queues and agents; with an
    ``identity`` token its site's backend signed, the visitor is verified too."""
    body = json_body(request)
    display_name = optional_str(body, "display_name", 100)
    context = context_field(body)
    site = page_site(request, body)
    # Every address together: many addresses (a botnet, or one behind many proxies)
    # cannot mint visitors for one site faster than this.
    check_rate(request, f"site:{site.pk}", settings.SUPPORTCALL_SITE_LOGIN_RATE)
    verified = verify_identity(site, body.get("identity"))
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
        verified=verified,
    )
    extra: dict[str, Any] = {"targets": targets}
    if verified is not None:
        extra["verified"] = verified
    return _login_response(token, identity, **extra)


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
            check_text(username, "username", 150)
            check_text(password, "password", 4096, multiline=True)
            user = authenticate(request, username=username, password=password)
            if user is None:
                raise HttpError(ErrorCode.UNAUTHORIZED, "wrong username or password")
            # A login without a session: say so, as django.contrib.auth.login would
            # (the failure count starts again, last_login is kept).
            user_logged_in.send(sender=type(user), request=request, user=user)
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
