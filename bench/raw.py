"""The floor for the embedded relay: the bench's floor protocol served by websockets alone.

The floor protocol is the product's, cut to what a relay needs: `auth` with a
token `<pair>:<role>` answered by `hello`; `ping` acked; `ice.candidate`
acked to its sender and passed to the other role of the same pair.

    python -m bench.raw --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import http
import json

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

PING_INTERVAL = 10.0
OTHER = {"visitor": "agent", "agent": "visitor"}
peers: dict[tuple[str, str], ServerConnection] = {}


async def handle(ws: ServerConnection) -> None:
    me: tuple[str, str] | None = None
    try:
        async for text in ws:
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "auth" and me is None:
                pair, role = str(frame.get("token", "")).rsplit(":", 1)
                me = (pair, role)
                peers[me] = ws
                await ws.send(json.dumps({"type": "hello", "ping_interval": PING_INTERVAL}))
            elif kind == "ping":
                await ws.send(json.dumps({"type": "ack", "id": frame.get("id")}))
            elif kind == "ice.candidate" and me is not None:
                call_id = frame.get("call_id")
                ack = {"type": "ack", "id": frame.get("id"), "call_id": call_id}
                await ws.send(json.dumps(ack))
                peer = peers.get((me[0], OTHER[me[1]]))
                if peer is not None:
                    await peer.send(
                        json.dumps(
                            {
                                "type": "ice.candidate",
                                "call_id": call_id,
                                "candidate": frame.get("candidate"),
                            }
                        )
                    )
    finally:
        if me is not None and peers.get(me) is ws:
            del peers[me]


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/health":
        return connection.respond(http.HTTPStatus.OK, "ok\n")
    return None


async def main(port: int) -> None:
    async with serve(handle, "127.0.0.1", port, process_request=health, max_queue=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
