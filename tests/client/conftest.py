"""Fixtures for the client's tests: the real server in a daphne process, clients
with recorders attached, and peers wired back to back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from supportcall.client import Agent, Options, Visitor
from supportcall.client.peer import MediaPeer
from supportcall.vocabulary import Presence, State
from tests.support.recorder import Recorder, record
from tests.support.servers import DEMO_PASSWORD, Server, base_env, prepare

# One WebSocket sends a few frames per call: the 1,000-call test would hit the limit.
CLIENT_TEST_ENV = {"SUPPORTCALL_WS_RATE": "2000"}


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """One daphne process serving supportcall with the demo data, for every client test."""
    tmp = tmp_path_factory.mktemp("client-server")
    env = base_env(tmp, **CLIENT_TEST_ENV)
    prepare(env)
    server = Server(env, tmp).start()
    server.env = env  # for django_shell: what the server's database holds
    yield server
    server.stop()


@pytest.fixture
def options(server) -> Options:
    return Options(server.url)


class Clients:
    """Connected visitors and agents, each with a :class:`Recorder`; all closed at the end."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.opened: list[Visitor | Agent] = []

    def record(self, client: Visitor | Agent) -> Recorder:
        return record(client)

    async def _open(self, client):
        self.opened.append(client)
        record(client)  # before connecting: the whole history
        await client.connect()
        return client

    async def visitor(self, options: Options | None = None, **kw) -> Visitor:
        kw.setdefault("display_name", "Ada")
        return await self._open(Visitor(options or self.options, site="demo", **kw))

    async def agent(self, username: str = "alice", options: Options | None = None) -> Agent:
        agent = await self._open(Agent(options or self.options, username, DEMO_PASSWORD))
        # Presence is kept by the server: an earlier test may have left this agent away.
        await agent.set_presence(Presence.AVAILABLE)
        return agent

    async def answered_call(self, options: Options | None = None) -> tuple:
        """Alice answers a visitor's audio call: (the visitor's call, the agent's), both
        in the call."""
        agent = await self.agent(options=options)
        visitor = await self.visitor(options=options)
        call = await visitor.call(media="audio")
        incoming = await agent.next_incoming(timeout=5)
        await incoming.accept()
        await call.wait_for_state(State.IN_CALL, timeout=5)
        await incoming.wait_for_state(State.IN_CALL, timeout=5)
        return call, incoming

    async def close(self) -> None:
        for client in reversed(self.opened):
            await client.close()


@pytest.fixture
async def clients(options) -> AsyncIterator[Clients]:
    made = Clients(options)
    yield made
    await made.close()


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
