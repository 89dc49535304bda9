from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from csp.decorators import csp_exempt
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger(__name__)


def health(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer answer, 503 otherwise.

    The answer says what is down, never why: an exception's text can carry a
    host name or a connection URL. The reason goes to the server's log.
    """
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        log.exception("health: the database does not answer")
        checks["database"] = "down"
    try:
        layer = get_channel_layer()
        assert layer is not None
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.send)(channel, {"type": "health.ping"})
        async_to_sync(layer.receive)(channel)
        checks["channel_layer"] = "ok"
    except Exception:
        log.exception("health: the channel layer does not answer")
        checks["channel_layer"] = "down"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


@csp_exempt()
def index(request: HttpRequest) -> HttpResponse:
    """The demo page: it stands in for a customer's page, whose policy is the customer's."""
    return render(request, "index.html")
