"""JSON over HTTP in the contract's shape: errors are {"error": {"code", "message"}}."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportcall import text
from supportcall.page_requests import page_endpoint
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

STATUS: dict[str, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.NOT_SUPPORTED: 415,
    ErrorCode.RATE_LIMITED: 429,
}


class HttpError(Exception):
    """A refusal; ``field`` names the request's field it is about, when a client must
    tell it apart (the login's ``identity``)."""

    def __init__(
        self, code: str, message: str, headers: dict[str, str] | None = None, field: str = ""
    ):
        super().__init__(message)
        self.code, self.message, self.headers, self.field = code, message, headers or {}, field

    def response(self) -> JsonResponse:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        response = JsonResponse({"error": error}, status=STATUS[self.code])
        for name, value in self.headers.items():
            response[name] = value
        return response


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; an empty body is an empty object."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as e:
        raise HttpError(ErrorCode.BAD_REQUEST, f"the body is not valid JSON: {e}") from e
    except RecursionError:  # thousands of nested brackets: not a body any endpoint takes
        raise HttpError(ErrorCode.BAD_REQUEST, "the body nests too deeply") from None
    if not isinstance(body, dict):
        raise HttpError(ErrorCode.BAD_REQUEST, "the body must be a JSON object")
    return body


# Context a page attaches (a login's, a callback's): a few short labelled strings.
MAX_CONTEXT_KEY = 64
FLAT_CONTEXT = "'context' must be a flat object of string values"


def check_text(value: Any, name: str, max_length: int, *, multiline: bool = False) -> str:
    """``value`` if it is text fit to store and show (see ``supportcall.text``)."""
    try:
        return text.check(value, name, max_length, multiline=multiline)
    except text.BadText as e:
        raise HttpError(ErrorCode.BAD_REQUEST, str(e)) from None


def optional_str(
    body: dict[str, Any], name: str, max_length: int, *, multiline: bool = False
) -> str:
    """The text field ``name`` of ``body``, stripped; missing or null is empty."""
    value = body.get(name)
    if value is None:
        return ""
    return check_text(value, name, max_length, multiline=multiline).strip()


def context_field(body: dict[str, Any]) -> dict[str, str]:
    """``body["context"]``: a flat object of short strings, bounded in count and size."""
    context = body.get("context") or {}
    if not isinstance(context, dict):
        raise HttpError(ErrorCode.BAD_REQUEST, "'context' must be a flat object of string values")
    if len(context) > settings.SUPPORTCALL_CONTEXT_FIELDS:
        raise HttpError(
            ErrorCode.BAD_REQUEST,
            f"'context' may have at most {settings.SUPPORTCALL_CONTEXT_FIELDS} fields",
        )
    for key, value in context.items():
        check_text(key, "context key", MAX_CONTEXT_KEY)
        if not isinstance(value, str):
            raise HttpError(
                ErrorCode.BAD_REQUEST, "'context' must be a flat object of string values"
            )
        check_text(value, f"context.{key}", settings.SUPPORTCALL_CONTEXT_VALUE)
    return context


def client_address(request: HttpRequest) -> str:
    """The address of the client behind any trusted proxies (SUPPORTCALL_TRUSTED_PROXIES).

    Each proxy appends the address it got the request from to X-Forwarded-For,
    so the right-most address that is not a trusted proxy is the client's;
    anything left of it was written by the client and proves nothing.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    if not _trusted(peer):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop):
            return hop
    return peer


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in settings.SUPPORTCALL_TRUSTED_PROXIES)


def check_rate(request: HttpRequest, who: str = "", limit: int = 0) -> None:
    """A fixed one-minute window per purpose and ``who`` (by default the client address,
    at most SUPPORTCALL_LOGIN_RATE), kept in the shared cache."""
    key = f"rate:{request.path}:{who or client_address(request)}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        count = 1
    if count > (limit or settings.SUPPORTCALL_LOGIN_RATE):
        raise HttpError(
            ErrorCode.RATE_LIMITED,
            "too many requests; try again in a minute",
            {"Retry-After": "60"},
        )


LOCKED_OUT = gettext_noop(
    "Too many failed sign-ins for this account or from this address. "
    "Try again in %(minutes)s minutes, or ask an admin to lift the lockout."
)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """A login refused for too many failures (django-axes): 429, in the contract's shape
    for the API, as a page for the dashboard's and the admin's sign-in forms."""
    minutes = settings.SUPPORTCALL_LOCKOUT_MINUTES
    if request.path.startswith("/api/"):
        # The API speaks the contract's English; the pages speak the reader's language.
        return HttpError(
            ErrorCode.RATE_LIMITED,
            LOCKED_OUT % {"minutes": minutes},
            {"Retry-After": str(minutes * 60)},
        ).response()
    message = gettext(LOCKED_OUT) % {"minutes": minutes}
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    """Let a page on ``origin`` (one the site allows, or None) read this response."""
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def from_pages(
    view: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """An endpoint that pages on customers' sites call (the widget).

    Its preflight is answered for any origin (it names no site and grants
    nothing), and every answer, refusals included, is readable by the page, so
    the widget can say why; what a page may do is decided by ``page_site``.
    """

    @page_endpoint
    @csrf_exempt
    @require_http_methods(["POST", "OPTIONS"])
    @wraps(view)
    def endpoint(request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            return cors(HttpResponse(status=204), origin)
        try:
            response = view(request)
        except HttpError as e:
            response = e.response()
        return cors(response, origin)

    return endpoint


def page_site(request: HttpRequest, body: dict[str, Any]):
    """The enabled site named in ``body``, if the request's page may act for it (rate-limited)."""
    from supportcall.directory.models import Site

    key = body.get("site")
    if not isinstance(key, str) or not key:
        raise HttpError(ErrorCode.BAD_REQUEST, "'site' (the site key) is required")
    site = Site.objects.filter(key=key, enabled=True).first()
    if site is None:
        raise HttpError(ErrorCode.FORBIDDEN, f"site {excerpt(key)} does not exist or is disabled")
    origin = request.headers.get("Origin")
    if not site.allows_origin(origin):
        raise HttpError(
            ErrorCode.FORBIDDEN, f"origin {excerpt(origin)} is not allowed for site {excerpt(key)}"
        )
    check_rate(request)
    return site


# The password of a URL with credentials: scheme://user:PASSWORD@host.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*(?=@)", re.IGNORECASE)


class ReporterFilter(SafeExceptionReporterFilter):
    """Django's masking, plus passwords inside connection URLs (``REDIS_URL``, the
    channel layer's hosts) that a setting's name alone does not give away."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        value = super().cleanse_setting(key, value)
        if isinstance(value, str):
            # str(): some settings are lazy strings (django-axes sets a few).
            return _URL_PASSWORD.sub(rf"\g<head>{self.cleansed_substitute}", str(value))
        return value
