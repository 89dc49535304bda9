"""A bad network on demand: a UDP forwarder in front of a TURN server that delays, jitters
and drops the media going to one host.

This machine's kernel has no ``netem`` queueing discipline, so the tests that need a
degraded path put this between the parties and coturn: each party's TURN URL names the
forwarder, which relays every datagram to coturn's real port from a socket of its own per
client, and back. What coturn sends to the impaired host is degraded only while
:meth:`Impairment.degrade` is in effect, and only TURN ChannelData (the relayed media,
RTCP, DTLS and ICE checks inside it), never the TURN control messages, as a lossy
downlink would: the allocation stays up and the call goes on, badly.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass


@dataclass
class Degradation:
    loss: float = 0.0  # the fraction of packets dropped
    delay: float = 0.0  # seconds added to each packet
    jitter: float = 0.0  # +/- seconds of random variation on the delay


def _is_channel_data(data: bytes) -> bool:
    return len(data) >= 4 and 0x40 <= data[0] <= 0x7F


class Impairment:
    """Listens on ``host`` (a free UDP port, :attr:`port`) and forwards to ``target``."""

    def __init__(self, host: str, target: tuple[str, int], impaired_host: str) -> None:
        self.host, self.target, self.impaired_host = host, target, impaired_host
        self.port = 0
        self.now = Degradation()
        self.forwarded = {"to_impaired": 0, "dropped": 0}
        self._random = random.Random(1234)  # the same losses every run
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listener: asyncio.DatagramTransport | None = None
        self._upstreams: dict[tuple[str, int], asyncio.DatagramTransport] = {}
        self._sending: set[asyncio.Future] = set()

    @property
    def url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    def start(self) -> Impairment:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def degrade(self, degradation: Degradation) -> None:
        self.now = degradation  # one assignment: the forwarder's thread sees old or new

    def stop(self) -> None:
        def close() -> None:
            for transport in [self._listener, *self._upstreams.values()]:
                if transport is not None:
                    transport.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(10)

    async def _listen(self) -> None:
        impairment = self

        class FromClients(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, client: tuple[str, int]) -> None:
                sending = asyncio.ensure_future(impairment._to_target(data, client))
                impairment._sending.add(sending)
                sending.add_done_callback(impairment._sending.discard)

        transport, _ = await self._loop.create_datagram_endpoint(
            FromClients, local_addr=(self.host, 0)
        )
        self._listener = transport
        self.port = transport.get_extra_info("sockname")[1]

    async def _to_target(self, data: bytes, client: tuple[str, int]) -> None:
        upstream = self._upstreams.get(client)
        if upstream is None:
            impairment = self

            class FromTarget(asyncio.DatagramProtocol):
                def datagram_received(self, data: bytes, _: tuple[str, int]) -> None:
                    impairment._to_client(data, client)

            upstream, _ = await self._loop.create_datagram_endpoint(
                FromTarget, remote_addr=self.target
            )
            self._upstreams[client] = upstream
        upstream.sendto(data)

    def _to_client(self, data: bytes, client: tuple[str, int]) -> None:
        assert self._listener is not None
        now = self.now
        if client[0] != self.impaired_host or not _is_channel_data(data):
            self._listener.sendto(data, client)
            return
        self.forwarded["to_impaired"] += 1
        if self._random.random() < now.loss:
            self.forwarded["dropped"] += 1
            return
        wait = now.delay + self._random.uniform(-now.jitter, now.jitter)
        if wait <= 0:
            self._listener.sendto(data, client)
        else:
            self._loop.call_later(wait, self._listener.sendto, data, client)
