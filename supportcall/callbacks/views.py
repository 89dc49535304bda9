from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportcall.directory.models import Site
from supportcall.http import HttpError, check_rate, cors, json_body

from . import services


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def leave_callback(request: HttpRequest) -> HttpResponse:
    """A visitor leaves a callback request (from the widget, on an allowed origin)."""
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        known = origin and any(s.allows_origin(origin) for s in Site.objects.filter(enabled=True))
        return cors(HttpResponse(status=204), origin if known else None)
    try:
        body = json_body(request)
        site = Site.objects.filter(key=str(body.get("site", "")), enabled=True).first()
        if site is None:
            raise HttpError("forbidden", f"site {body.get('site')!r} does not exist or is disabled")
        if not site.allows_origin(origin):
            raise HttpError("forbidden", f"origin {origin} may not leave requests for this site")
        check_rate(request)
        callback = services.leave(site, body)
        return cors(
            JsonResponse({"id": callback.pk, "status": callback.status}, status=201), origin
        )
    except HttpError as e:
        return cors(e.response(), origin if e.code != "forbidden" else None)
