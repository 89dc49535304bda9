"""Fixtures for the client's tests: a fake server, and peers wired back to back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from supportcall.client.peer import MediaPeer

from .fakeserver import FakeServer


class Loopback:
    """Two :class:`MediaPeer`s exchanging offers and answers directly, the way
    the server relays them, over real ICE/DTLS on this machine."""

    def __init__(self) -> None:
        self.peers: list[MediaPeer] = []

    async def call(self, media: str = "audio", video: bool = False) -> tuple[MediaPeer, MediaPeer]:
        visitor = MediaPeer(media, tone_hz=440)
        agent = MediaPeer(media, tone_hz=660)
        self.peers += [visitor, agent]
        answer = await agent.accept_offer(await visitor.create_offer(), video=video)
        await visitor.apply_answer(answer)
        return visitor, agent

    async def reoffer(self, initiator: MediaPeer, other: MediaPeer, op: str) -> None:
        reoffer = await initiator.create_reoffer(op)
        answer = await other.answer_reoffer(op, reoffer.offer.sdp)
        await initiator.apply_reoffer_answer(reoffer, answer)

    async def close(self) -> None:
        for peer in self.peers:
            await peer.close()


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    pair = Loopback()
    yield pair
    await pair.close()


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    server = FakeServer()
    await server.start()
    yield server
    await server.stop()
