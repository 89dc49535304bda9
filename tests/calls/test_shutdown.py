"""A stopping process sends new WebSockets elsewhere with 4012, as it does its own."""

from channels.testing import WebsocketCommunicator

from supportcall.asgi import Lifecycle, application
from supportcall.vocabulary import Close


async def test_a_websocket_opened_while_the_process_stops_is_closed_4012():
    stopping = Lifecycle(application.app)
    stopping.stopping = True
    ws = WebsocketCommunicator(stopping, "/ws/v1/calls")
    # Accepted, then closed: a close before the accept would refuse the handshake
    # (ASGI: HTTP 403), and the client would not know to resume elsewhere.
    connected, _ = await ws.connect()
    assert connected
    assert await ws.receive_output(timeout=3) == {"type": "websocket.close", "code": Close.RESTART}
    await ws.wait()
