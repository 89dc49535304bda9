"""A minimal Channels consumer speaking the bench's floor protocol (see bench/raw.py).

Each connection joins a group named for its pair and role; a candidate goes to
the other role's group through the channel layer, as the product's events do.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.minimal.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

PING_INTERVAL = 10.0
OTHER = {"visitor": "agent", "agent": "visitor"}


class RelayConsumer(AsyncJsonWebsocketConsumer):
    peer_group = ""

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "auth" and not self.peer_group:
            pair, role = str(content.get("token", "")).rsplit(":", 1)
            await self.channel_layer.group_add(f"pair.{pair}.{role}", self.channel_name)
            self.own_group = f"pair.{pair}.{role}"
            self.peer_group = f"pair.{pair}.{OTHER[role]}"
            await self.send_json({"type": "hello", "ping_interval": PING_INTERVAL})
        elif kind == "ping":
            await self.send_json({"type": "ack", "id": content.get("id")})
        elif kind == "ice.candidate":
            await self.send_json(
                {"type": "ack", "id": content.get("id"), "call_id": content.get("call_id")}
            )
            await self.channel_layer.group_send(
                self.peer_group,
                {
                    "type": "relay",
                    "call_id": content.get("call_id"),
                    "candidate": content.get("candidate"),
                },
            )

    async def relay(self, event):
        await self.send_json(
            {"type": "ice.candidate", "call_id": event["call_id"], "candidate": event["candidate"]}
        )

    async def disconnect(self, code):
        if self.peer_group:
            await self.channel_layer.group_discard(self.own_group, self.channel_name)


def health(request):
    return HttpResponse("ok")


urlpatterns = [path("health", health)]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/v1/calls", RelayConsumer.as_asgi())]),
    }
)
