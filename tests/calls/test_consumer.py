"""The consumer's own duties: framing, and no send once a close has begun.

Daphne's WebSocket (autobahn) raises "Attempt to send on a closed protocol" on a
send once a close has begun (the server sent its close frame, or the client's
came in) until the connection is gone and ``websocket.disconnect`` arrives.
Channels' test communicator never raises, so the tests of that serve the
application as daphne does.
"""

from typing import Any

import pytest
from autobahn.exception import Disconnected
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from supportcall.asgi import application
from supportcall.calls.delivery import message
from supportcall.calls.models import Connection
from supportcall.vocabulary import Close
from tests.support.calls import answer, ring
from tests.support.ws import SHOP, Socket, login_visitor, open_ws, sync

pytestmark = pytest.mark.usefixtures("directory")


class LikeDaphne:
    """The ASGI application with daphne's sends: they raise once a close has begun."""

    def __init__(self, app: Any):
        self.app = app
        self.closing = False  # set by a test: the client's close frame came in

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def guarded(event: dict[str, Any]) -> None:
            if self.closing and event["type"] == "websocket.send":
                raise Disconnected("Attempt to send on a closed protocol")
            if event["type"] == "websocket.close":
                self.closing = True
            await send(event)

        await self.app(scope, receive, guarded)


async def visitor_served_like_daphne() -> tuple[Socket, LikeDaphne, str]:
    """A visitor's connection through LikeDaphne, and its channel."""
    server = LikeDaphne(application)
    ws = WebsocketCommunicator(server, "/ws/v1/calls", headers=[(b"origin", SHOP.encode())])
    connected, _ = await ws.connect()
    assert connected
    login = await login_visitor()
    visitor = Socket(ws)
    await visitor.send({"type": "auth", "token": login["token"]})
    visitor.hello = await visitor.event("hello")
    visitor.identity = visitor.hello["identity"]
    channel = await sync(
        lambda: Connection.objects.values_list("channel_name", flat=True).get(
            identity=visitor.identity
        )
    )()
    return visitor, server, channel


async def test_an_event_that_crosses_the_servers_close_is_dropped():
    visitor, _, channel = await visitor_served_like_daphne()
    layer = get_channel_layer()
    await layer.send(channel, {"type": "connection.close", "code": Close.RESTART})
    await layer.send(channel, message({"type": "presence", "status": "away"}))
    assert await visitor.ws.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": Close.RESTART,
    }
    assert await visitor.ws.receive_nothing(timeout=0.3)
    # The client answers the close; the consumer must still be alive to record the drop
    # (a consumer that died on the event raises here).
    await visitor.ws.disconnect(code=Close.RESTART)


async def test_a_client_leaving_while_an_event_is_sent_still_ends_its_calls(parties):
    alice = await parties("alice")
    visitor, server, _ = await visitor_served_like_daphne()
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    server.closing = True  # the visitor's close frame (1000: it is leaving) came in
    await alice.ok("call.mute", call_id=call_id)  # a call.media for the visitor crosses it
    await alice.event("op.result", call_id=call_id, op="mute", ok=True)
    await visitor.ws.disconnect(code=Close.NORMAL)
    # Leaving ends the call at once; a consumer that died on the send would have
    # recorded a drop instead (alice: "reconnecting", the call kept for the grace).
    await alice.event(
        "call.state", call_id=call_id, state="ended", previous="in_call", reason="connection_lost"
    )


async def test_a_frame_nested_thousands_deep_gets_bad_request_and_the_connection_stays_usable(
    parties,
):
    visitor = await parties("visitor")
    await visitor.send("[" * 50_000)  # within the frame limit; json.loads hits its recursion limit
    reply = await visitor.receive()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "bad_request", None)
    await visitor.fails("bad_request", "no.such.type")


async def test_a_first_frame_nested_thousands_deep_closes_4401():
    ws = await open_ws()
    await ws.send_to(text_data="[" * 50_000)
    assert await ws.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": Close.UNAUTHORIZED,
    }


async def test_a_page_going_away_is_leaving_its_call_ends_at_once(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ws.disconnect(code=Close.GOING_AWAY)  # what a browser sends on unload
    await alice.event(
        "call.state", call_id=call_id, state="ended", previous="in_call", reason="connection_lost"
    )
