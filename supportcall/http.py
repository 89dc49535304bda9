"""JSON over HTTP in the contract's shape: errors are {"error": {"code", "message"}}."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "rate_limited": 429,
}


class HttpError(Exception):
    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers or {}

    def response(self) -> JsonResponse:
        response = JsonResponse(
            {"error": {"code": self.code, "message": self.message}}, status=STATUS[self.code]
        )
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
        raise HttpError("bad_request", f"the body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise HttpError("bad_request", "the body must be a JSON object")
    return body


def optional_str(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HttpError("bad_request", f"'{name}' must be a string")
    if len(value) > max_length:
        raise HttpError("bad_request", f"'{name}' is longer than {max_length} characters")
    return value


def check_rate(request: HttpRequest) -> None:
    """A fixed one-minute window per client address and purpose, kept in the shared cache."""
    key = f"rate:{request.path}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        count = 1
    if count > settings.SUPPORTCALL_LOGIN_RATE:
        raise HttpError(
            "rate_limited", "too many requests; try again in a minute", {"Retry-After": "60"}
        )


def cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    """Let a page on ``origin`` (one the site allows, or None) read this response."""
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response
