"""Calls between two hosts that can only meet through a real coturn.

The visitor and the agent are the Python client in two network namespaces
(tests/support/netns.py) with no route to each other; daphne and coturn
listen on the one address both reach. A call connects through the relay, and
only through it; with a credential coturn refuses, it fails and both parties
are told ``media_failed`` instead of sitting in silence.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from supportcall import turn
from tests.support.netns import CoturnProcess, Island, Side, need_namespaces
from tests.support.servers import ROOT, Server, base_env, prepare

SECRET = secrets.token_hex(32)
MEDIA_TIMEOUT = 8.0
WAIT = 40.0  # any one step of a party, generously: two slow cores


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


class Party:
    """``tests/support/netns_party.py`` running in one namespace."""

    def __init__(self, island: Island, side: Side, role: str, *args: str) -> None:
        self.command = island.command(
            side, sys.executable, "-m", "tests.support.netns_party", role, *args
        )
        self.role = role
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []

    async def start(self) -> Party:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, cwd=ROOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        return self

    async def event(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next JSON line the party prints (its log lines are kept for failures)."""
        assert self.process and self.process.stdout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), max(remaining, 0))
            except TimeoutError:
                silent = f"{self.role} said nothing for {timeout}s"
                raise AssertionError(f"{silent}:\n{self.log}") from None
            if not line:
                raise AssertionError(f"{self.role} exited:\n{self.log}")
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            if text.startswith("{"):
                return json.loads(text)

    def tell(self, line: str) -> None:
        assert self.process and self.process.stdin
        self.process.stdin.write(line.encode() + b"\n")

    @property
    def log(self) -> str:
        return "\n".join(self.lines[-40:])

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def parties(island, server) -> AsyncIterator[Any]:
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


async def place_call(parties, island: Island, *args: str) -> tuple[Party, Party]:
    agent = await parties(island.agent, "agent", *args)
    visitor = await parties(island.visitor, "visitor", *args)
    visitor.tell("call")
    return visitor, agent


def test_the_namespaces_reach_the_server_but_not_each_other(island, server):
    port = server.port
    assert island.reaches(island.visitor, island.server, port)
    assert island.reaches(island.agent, island.server, port)
    # Something listening or not, the other party's address has no route at all.
    assert not island.reaches(island.visitor, island.agent.address, port)
    assert not island.reaches(island.agent, island.visitor.address, port)


@pytest.mark.parametrize("policy", ["relay", "all"])
async def test_a_call_between_hosts_that_cannot_meet_connects_through_the_relay_both_ways(
    parties, island, policy
):
    # "relay": as the server's hello says; "all" (the clients' own choice): host
    # candidates are offered too, and lead nowhere.
    visitor, agent = await place_call(
        parties, island, *(["--policy", "all"] if policy == "all" else [])
    )
    seen = {"visitor": await visitor.event(), "agent": await agent.event()}

    for role, event in seen.items():
        assert event["event"] == "media", f"{role}: {event}\n{visitor.log}\n{agent.log}"
        assert event["pair"] == ["relay", "relay"], role
        assert event["audio_bytes"] > 0, role
        # The relay policy keeps host candidates (the parties' addresses) out of the SDP.
        assert event["offered"] == (["relay"] if policy == "relay" else ["host", "relay"]), role
    visitor.tell("end")
    assert await visitor.event() == {"event": "ended", "reason": "ended_by_local",
                                     "error": None, "message": ""}  # fmt: skip
    assert await agent.event() == {"event": "ended", "reason": "ended_by_remote",
                                   "error": None, "message": ""}  # fmt: skip


def refused_credentials(island: Island, relay: CoturnProcess, kind: str) -> str:
    """iceServers coturn refuses: signed with another secret, or expired a minute ago."""
    secret = secrets.token_hex(32) if kind == "wrong" else SECRET
    now = time.time() if kind == "wrong" else time.time() - 3600
    servers = turn.ice_servers(
        identity="someone@support.example.com", now=now, secret=secret, urls=relay.urls,
        ttl=60 if kind == "wrong" else 3540,
    )  # fmt: skip
    return json.dumps(servers)


@pytest.mark.parametrize("kind", ["wrong", "expired"])
async def test_a_refused_credential_fails_the_call_and_both_parties_are_told(
    parties, island, relay, kind
):
    servers = refused_credentials(island, relay, kind)
    visitor, agent = await place_call(parties, island, "--ice-servers", servers)
    started = time.monotonic()

    for party in (visitor, agent):
        event = await party.event(timeout=MEDIA_TIMEOUT + WAIT)
        assert (event["event"], event["reason"], event["error"]) == (
            "ended", "media_failed", "MediaFailed",
        ), f"{party.role}: {event}\n{party.log}"  # fmt: skip
        assert "network blocks the call" in event["message"]
    # Told within the media timeout (and some slack for two slow cores), not left hanging.
    assert time.monotonic() - started < MEDIA_TIMEOUT + 20
