from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation

from . import views

urlpatterns = [
    path("calls", views.Calls.as_view(), name="api-calls"),
    path("calls/<uuid:pk>", views.CallRecord.as_view(), name="api-call"),
    path("callback-requests", views.Callbacks.as_view(), name="api-callbacks"),
    path("callback-requests/<int:pk>", views.Callback.as_view(), name="api-callback"),
    # YAML, or JSON for Accept: application/json (or ?format=json).
    path(
        "schema",
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="api-schema",
    ),
    # An id that is not one (calls/not-a-uuid): the API's JSON 404, not Django's page.
    re_path(r"^(calls|callback-requests)/", views.nowhere),
]
