"""A minimal Channels consumer: the floors of the relay and of call setup.

Relay (the floor protocol of bench/raw.py): each connection joins a group named
for its pair and role; a candidate goes to the other role's group through the
channel layer, as the product's events do.

Call setup: the same job as the product's, with nothing kept but what each
connection knows. Logins over HTTP hand out tokens naming who logs in;
``call.create`` rings the agent's group, ``call.accept`` tells the visitor's
channel (named in the ring) ``in_call``, ``call.end`` tells both ``ended``.
No database, no checks: what the framework costs for the messages of a call.
"""

import json
import os
import uuid

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.minimal.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

# The interval the product gives (its clients and ours ping alike), else 10 s.
PING_INTERVAL = float(os.environ.get("BENCH_PING_INTERVAL") or 10.0)
DOMAIN = "support.example.com"  # bench.servers.DOMAIN (not imported: no bench code here)
OTHER = {"visitor": "agent", "agent": "visitor"}


def _group(address: str) -> str:
    return "party." + address.replace("@", ".at.")


class RelayConsumer(AsyncJsonWebsocketConsumer):
    peer_group = ""
    own_group = ""

    async def connect(self):
        self.calls: dict[str, str] = {}  # this connection's calls: the peer's channel
        await self.accept()

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "auth" and str(content.get("token", "")).startswith("party:"):
            identity = content["token"].split(":", 1)[1]
            self.own_group = _group(identity)
            await self.channel_layer.group_add(self.own_group, self.channel_name)
            await self.send_json(
                {"type": "hello", "identity": identity, "ping_interval": PING_INTERVAL}
            )
        elif kind in SETUP:
            await getattr(self, SETUP[kind])(content)
        elif kind == "auth" and not self.peer_group:
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

    async def create(self, content):
        call_id = uuid.uuid4().hex
        await self.send_json({"type": "ack", "id": content.get("id"), "call_id": call_id})
        ring = {"type": "ring", "call_id": call_id, "visitor": self.channel_name}
        await self.channel_layer.group_send(_group(content["to"]), {**ring, "sdp": content["sdp"]})

    async def ring(self, event):
        self.calls[event["call_id"]] = event["visitor"]
        await self.send_json(
            {"type": "call.incoming", "call_id": event["call_id"], "sdp": event["sdp"]}
        )

    async def accept_call(self, content):
        call_id = content["call_id"]
        await self.send_json({"type": "ack", "id": content.get("id")})
        state = {"type": "state", "call_id": call_id, "peer": self.channel_name}
        await self.channel_layer.send(self.calls[call_id], {**state, "state": "in_call"})
        await self.send_json({"type": "call.state", "call_id": call_id, "state": "in_call"})

    async def end(self, content):
        call_id = content["call_id"]
        await self.send_json({"type": "ack", "id": content.get("id")})
        state = {"type": "state", "call_id": call_id, "state": "ended", "peer": ""}
        await self.channel_layer.send(self.calls.pop(call_id), state)
        await self.send_json({"type": "call.state", "call_id": call_id, "state": "ended"})

    async def state(self, event):
        call_id = event["call_id"]
        if event["peer"]:
            self.calls[call_id] = event["peer"]
        else:
            self.calls.pop(call_id, None)
        await self.send_json({"type": "call.state", "call_id": call_id, "state": event["state"]})

    async def relay(self, event):
        await self.send_json(
            {"type": "ice.candidate", "call_id": event["call_id"], "candidate": event["candidate"]}
        )

    async def disconnect(self, code):
        if self.own_group:
            await self.channel_layer.group_discard(self.own_group, self.channel_name)


SETUP = {"call.create": "create", "call.accept": "accept_call", "call.end": "end"}


def health(request):
    return HttpResponse("ok")


@csrf_exempt
def anonymous_login(request):
    return JsonResponse({"token": f"party:visitor-{uuid.uuid4().hex}@{DOMAIN}"}, status=201)


@csrf_exempt
def agent_login(request):
    username = json.loads(request.body)["username"]
    return JsonResponse({"token": f"party:{username}@{DOMAIN}"}, status=201)


urlpatterns = [
    path("health", health),
    path("api/v1/anonymous-login", anonymous_login),
    path("api/v1/agent-login", agent_login),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/v1/calls", RelayConsumer.as_asgi())]),
    }
)
