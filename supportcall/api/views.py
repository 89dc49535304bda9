"""GET /api/v1/calls, /api/v1/calls/<id>, /api/v1/callback-requests[/<id>], /api/v1/schema.

Thin views: a key reads only its sites' records (another site's is a 404, as if it
did not exist), the filters are ``filters.py``'s, the shapes ``serializers.py``'s.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, pagination, serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.models import Call, CallEvent, ChatMessage, Leg

from . import filters
from .errors import BadFilters
from .serializers import CallbackOut, CallDetail, CallSummary

Error = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(help_text="The contract's error code."),
        "message": serializers.CharField(),
        "filters": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Each bad query parameter and why.",
        ),
    },
)
REFUSALS = {400: Error, 401: Error, 429: Error}


class Pages(pagination.CursorPagination):
    """Newest first; ``next`` and ``previous`` are links with an opaque cursor."""

    ordering = ("-created", "-pk")
    page_size_query_param = "page_size"  # checked by filters.checked

    def get_page_size(self, request) -> int:
        asked = request.query_params.get(self.page_size_query_param)
        return int(asked) if asked else settings.SUPPORTCALL_API_PAGE_SIZE

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                most = settings.SUPPORTCALL_API_PAGE_SIZE_MAX
                parameter["schema"].update(minimum=1, maximum=most)
                parameter["description"] = f"Records per page, 1 to {most}."
        return parameters

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise BadFilters({"cursor": [_("Not a cursor this API gave.")]}) from None


def scoped(records: QuerySet, request) -> QuerySet:
    return records.filter(site__in=request.auth.sites.all())


class Calls(generics.ListAPIView):
    serializer_class = CallSummary
    pagination_class = Pages

    def get_queryset(self) -> QuerySet:
        given = filters.checked(filters.CallFilters, self.request.query_params)
        calls = Call.objects.select_related(*CallSummary.related)
        return given.apply(scoped(calls, self.request))

    @extend_schema(parameters=[filters.CallFilters], responses={200: CallSummary, **REFUSALS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallRecord(generics.RetrieveAPIView):
    serializer_class = CallDetail

    def get_queryset(self) -> QuerySet:
        calls = Call.objects.select_related(*CallSummary.related)
        legs = Prefetch("legs", Leg.objects.select_related("agent__user").order_by("started", "pk"))
        events = Prefetch("events", CallEvent.objects.order_by("at", "pk"))
        chat = Prefetch("chat", ChatMessage.objects.order_by("seq"))
        return scoped(calls, self.request).prefetch_related(legs, events, chat)

    @extend_schema(responses={200: CallDetail, 404: Error, **REFUSALS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class Callbacks(generics.ListAPIView):
    serializer_class = CallbackOut
    pagination_class = Pages

    def get_queryset(self) -> QuerySet:
        given = filters.checked(filters.CallbackFilters, self.request.query_params)
        requests = CallbackRequest.objects.select_related(*CallbackOut.related)
        return given.apply(scoped(requests, self.request))

    @extend_schema(parameters=[filters.CallbackFilters], responses={200: CallbackOut, **REFUSALS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class Callback(generics.RetrieveAPIView):
    serializer_class = CallbackOut

    def get_queryset(self) -> QuerySet:
        requests = CallbackRequest.objects.select_related(*CallbackOut.related)
        return scoped(requests, self.request)

    @extend_schema(responses={200: CallbackOut, 404: Error, **REFUSALS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(exclude=True)
@api_view(["GET"])
def nowhere(request, *args, **kwargs):
    raise NotFound(_("No such record."))
