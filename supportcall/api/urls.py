from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

urlpatterns = [
    path("calls", views.Calls.as_view(), name="api-calls"),
    path("calls/<uuid:pk>", views.CallRecord.as_view(), name="api-call"),
    path("callback-requests", views.Callbacks.as_view(), name="api-callbacks"),
    path("callback-requests/<int:pk>", views.Callback.as_view(), name="api-callback"),
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
]
