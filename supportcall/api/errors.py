"""Every refusal of the API as JSON in the contract's words: ``{"error": code, "message":
words}``, and for bad filters which ones and why: ``"filters": {name: [why]}``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from supportcall.vocabulary import ErrorCode

CODES = {
    status.HTTP_400_BAD_REQUEST: ErrorCode.BAD_REQUEST,
    status.HTTP_401_UNAUTHORIZED: ErrorCode.UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN: ErrorCode.FORBIDDEN,
    status.HTTP_404_NOT_FOUND: ErrorCode.NOT_FOUND,
    status.HTTP_405_METHOD_NOT_ALLOWED: ErrorCode.NOT_SUPPORTED,
    status.HTTP_406_NOT_ACCEPTABLE: ErrorCode.NOT_SUPPORTED,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ErrorCode.NOT_SUPPORTED,
    status.HTTP_429_TOO_MANY_REQUESTS: ErrorCode.RATE_LIMITED,
}


class BadFilters(exceptions.ValidationError):
    """Query parameters that do not parse: ``detail`` maps each to its reasons."""


def handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No such record."))
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real fault: Django's 500, logged
    body: dict[str, Any] = {"error": CODES.get(response.status_code, ErrorCode.BAD_REQUEST)}
    if isinstance(exc, BadFilters) and isinstance(exc.detail, dict):
        body["message"] = _("Bad filters: %(names)s.") % {"names": ", ".join(exc.detail)}
        body["filters"] = exc.detail
    elif isinstance(exc, exceptions.NotAuthenticated):
        body["message"] = _("Send an API key: Authorization: Bearer <key>.")
    elif isinstance(exc, exceptions.APIException) and isinstance(exc.detail, str):
        body["message"] = str(exc.detail)
    else:
        body["message"] = str(getattr(exc, "detail", exc))
    response.data = body
    return response
