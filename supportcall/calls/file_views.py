"""HTTP for files in the chat: the upload a ``chat.upload`` token allows, and downloads.

Thin: ``files`` decides. The upload is the request's raw body (``Content-Type`` is
not trusted: the content says what it is), its name in ``Supportcall-File-Name``
(percent-encoded UTF-8), the token in ``Supportcall-Upload-Token``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import unquote

from asgiref.sync import async_to_sync
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from supportcall.http import HttpError
from supportcall.page_requests import page_endpoint
from supportcall.vocabulary import ErrorCode

from . import files, sniff
from .delivery import deliver
from .machine import CallError, Party

TOKEN_HEADER = "Supportcall-Upload-Token"
NAME_HEADER = "Supportcall-File-Name"


def _refusal(error: CallError) -> HttpResponse:
    return HttpError(error.code, error.message).response()


def _allow(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Readable by the widget's page: the token, not the origin, is what is checked."""
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}, {NAME_HEADER}"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _chunks(request: HttpRequest) -> Iterator[bytes]:
    while chunk := request.read(files.CHUNK):
        yield chunk


@page_endpoint
@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def upload(request: HttpRequest, call_id: uuid.UUID) -> HttpResponse:
    """POST /api/v1/calls/<id>/files: store one file with a chat.upload token."""
    if request.method == "OPTIONS":
        return _allow(HttpResponse(status=204), request)
    try:
        token = request.headers.get(TOKEN_HEADER, "")
        if not token:
            raise CallError(ErrorCode.UNAUTHORIZED, f"the {TOKEN_HEADER} header is missing")
        allowed = files.read_token(token, call_id)
        name = unquote(request.headers.get(NAME_HEADER, ""), errors="strict")
        length = request.headers.get("Content-Length")
        data = files.read_body(
            _chunks(request), int(length) if length and length.isdigit() else None
        )
        outcome = files.store(allowed, name, data)
    except UnicodeDecodeError:
        return _allow(
            _refusal(CallError(ErrorCode.BAD_REQUEST, "the file name is not UTF-8")), request
        )
    except CallError as e:
        return _allow(_refusal(e), request)
    async_to_sync(deliver)(outcome.outbox)
    return _allow(JsonResponse(outcome.result, status=201), request)


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET /api/v1/files/<link>: the file, to the party the link is for, or to staff.

    An agent's link needs that agent's session (the dashboard's); the caller's link is
    the caller's alone (sent on its connection only). Images are shown inline; anything
    else is an attachment; never sniffed, never run (nosniff, a sandboxing CSP)."""
    try:
        found = files.opened(token)
    except CallError as e:
        return _refusal(e)
    user = request.user
    staff = user.is_authenticated and user.is_staff
    if found.party is Party.AGENT and not staff:
        agent = getattr(user, "agent", None) if user.is_authenticated else None
        if agent is None or agent.pk != found.file.call.agent_id:
            return _refusal(CallError(ErrorCode.FORBIDDEN, "this link is for the call's agent"))
    shared = found.file
    try:
        stream = default_storage.open(shared.storage_name, "rb")
    except FileNotFoundError:
        return _refusal(CallError(ErrorCode.NOT_FOUND, "this file was deleted"))
    response = FileResponse(
        stream,
        content_type=shared.content_type,
        as_attachment=shared.content_type not in sniff.IMAGES,
        filename=shared.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # the widget's page shows it
    return response
