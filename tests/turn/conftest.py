"""The two hosts that cannot meet (tests/support/netns.py), the coturn between them, a
daphne on the address both reach, and the Python client as a party in each namespace:
shared by the relay tests of this folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.netns import (
    MEDIA_TIMEOUT,
    SECRET,
    CoturnProcess,
    Island,
    Party,
    Side,
    need_namespaces,
)
from tests.support.servers import Server, base_env, prepare


@pytest.fixture(scope="module")
def island() -> Iterator[Island]:
    need_namespaces()
    made = Island()
    try:
        yield made.make()
    finally:
        made.remove()


@pytest.fixture(scope="module")
def relay(island, tmp_path_factory) -> Iterator[CoturnProcess]:
    # Relayed media goes from one allocation to the other on the server address: the
    # only peer this coturn may reach (the parties' own addresses stay denied).
    coturn = CoturnProcess(
        tmp_path_factory.mktemp("coturn"), SECRET, island.server, [island.server]
    )
    try:
        yield coturn.start()
    finally:
        coturn.stop()


@pytest.fixture(scope="module")
def server(island, relay, tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("relay-server")
    env = base_env(
        tmp,
        ALLOWED_HOSTS=island.server,
        SUPPORTCALL_TURN_SECRET=SECRET,
        SUPPORTCALL_TURN_URLS=",".join(relay.urls),
        SUPPORTCALL_ICE_TRANSPORT_POLICY="relay",
        SUPPORTCALL_MEDIA_TIMEOUT=str(MEDIA_TIMEOUT),
    )
    prepare(env)
    daphne = Server(env, tmp, host=island.server)
    try:
        yield daphne.start()
    finally:
        daphne.stop()


@pytest.fixture
async def netns_parties(island, server) -> AsyncIterator[Any]:
    started: list[Party] = []

    async def start(side: Side, role: str, *args: str) -> Party:
        party = await Party(island, side, role, "--server", server.url, *args).start()
        started.append(party)
        assert await party.event() == {"event": "ready"}, party.log
        return party

    try:
        yield start
    finally:
        for party in started:
            await party.stop()
