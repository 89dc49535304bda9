from django.urls import path

from supportcall.calls.consumers import CallConsumer

websocket_urlpatterns = [
    path("ws/v1/calls", CallConsumer.as_asgi()),
]
