"""Faults a cluster survives: dropped WebSockets, killed and restarted processes.

Two daphne processes share a fresh PostgreSQL database and Redis, with short
grace periods so that the tests of what happens after them are quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import time

import pytest
import websockets

from supportcall.client import Agent, Options, Visitor
from supportcall.vocabulary import Close
from tests.support.recorder import record as history
from tests.support.sdps import ANSWER, OFFER
from tests.support.servers import (
    DEMO_PASSWORD,
    Server,
    base_env,
    django_shell,
    drop_postgres_database,
    free_port,
    need,
    postgres_database,
    prepare,
    redis_url,
)
from tests.support.wire import Wire

pytestmark = pytest.mark.e2e

SUPPORT = "support@support.example.com"

GRACE = 6.0
PROCESS_TIMEOUT = 3.0
IDLE_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two daphne processes on PostgreSQL and Redis with a short resume grace."""
    tmp = tmp_path_factory.mktemp("resilience")
    database = postgres_database()
    env = base_env(
        tmp,
        DATABASE_URL=database,
        REDIS_URL=redis_url(),
        SUPPORTCALL_CHANNEL_PREFIX=f"test-{database.rsplit('_', 1)[-1]}",
        SUPPORTCALL_RESUME_GRACE=str(GRACE),
        SUPPORTCALL_PROCESS_TIMEOUT=str(PROCESS_TIMEOUT),
        SUPPORTCALL_PING_INTERVAL="1",
        SUPPORTCALL_IDLE_TIMEOUT=str(IDLE_TIMEOUT),
    )
    prepare(env)
    servers = [Server(env, tmp).start(), Server(env, tmp).start()]
    yield servers
    for server in servers:
        server.stop()
    drop_postgres_database(database)


def alive(server: Server) -> Server:
    """The server, restarted on its port if a test killed it."""
    if server.process is None or server.process.poll() is not None:
        server.start()
    return server


RESUMED = ["connecting", "connected", "reconnecting", "connected"]


@contextlib.asynccontextmanager
async def call_between(agent_server: Server, visitor_server: Server, resume: bool = True):
    """alice on one process, a visitor on the other, in an answered call with media
    flowing; each client's history is in its recorder (``history(client)``)."""
    alice = Agent(Options(agent_server.url, fallbacks=[visitor_server.url]), "alice", DEMO_PASSWORD)
    visitor = Visitor(
        Options(visitor_server.url, fallbacks=[agent_server.url], resume=resume), "demo"
    )
    history(alice), history(visitor)
    try:
        await alice.connect()
        await visitor.connect()
        call = await visitor.call()
        incoming = await alice.next_incoming(timeout=15)
        await incoming.accept()
        await call.wait_for_state("in_call", timeout=15)
        for c in (call, incoming):
            await c.wait_for_media("audio", flowing=True, timeout=15, window=1.0)
        yield visitor, alice, call, incoming
    finally:
        for client in (visitor, alice):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 15)


async def until(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Flow:
    """Samples both sides' received audio bytes: media must keep rising all along."""

    def __init__(self, *calls):
        self.calls, self.samples = calls, []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.samples.append([(await c.inbound_bytes()).get("audio", 0) for c in self.calls])
            await asyncio.sleep(0.5)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def never_stopped(self) -> bool:
        """Every side received more in each second of the run (media is 50 packets/s)."""
        pairs = zip(self.samples, self.samples[2:], strict=False)
        return len(self.samples) > 4 and all(
            all(b > a for a, b in zip(earlier, later, strict=True)) for earlier, later in pairs
        )


def events_of(server: Server, call_id: str) -> list[str]:
    out = django_shell(
        server.env,
        "import json; from supportcall.calls.models import CallEvent; "
        f"print(json.dumps([e.name for e in CallEvent.objects.filter(call_id='{call_id}')]))",
    )
    return json.loads(out.strip().splitlines()[-1])


def record(server: Server, call_id: str) -> dict:
    out = django_shell(
        server.env,
        "import json; from supportcall.calls.models import Call; "
        f"c = Call.objects.get(id='{call_id}'); "
        "print(json.dumps([c.phase, c.end_reason, c.ended is not None]))",
    )
    phase, reason, ended = json.loads(out.strip().splitlines()[-1])
    return {"phase": phase, "end_reason": reason, "ended": ended}


async def test_a_visitor_cut_off_resumes_through_the_other_process_and_media_never_stops(pair):
    a, b = alive(pair[0]), alive(pair[1])
    async with call_between(b, a) as (visitor, alice, call, incoming):
        flow = Flow(call, incoming)
        await asyncio.sleep(1.5)
        visitor.signaling.abort()  # no close frame: the network dropped
        await until(lambda: history(visitor).connection == RESUMED, GRACE, "the visitor to resume")
        assert visitor.signaling.server_now == b.url  # the other process took it
        await until(
            lambda: history(alice).remote_connection(incoming) == ["reconnecting", "connected"],
            10,
            "alice to see the visitor reconnecting then connected",
        )
        await asyncio.sleep(1.5)
        await flow.stop()
        assert flow.never_stopped(), flow.samples
        # Signaling works on the new connection, across the two processes.
        await call.mute()
        await incoming.hold()
        await call.wait_for_state("remotely_held", timeout=10)
        assert history(visitor).states(call) == ["initiated", "ringing", "in_call", "remotely_held"]
        await call.end()
        await incoming.wait_for_state("ended", timeout=10)
    assert events_of(a, call.call_id) == [
        "create",
        "ring",
        "accept",
        "connection_dropped",
        "resumed",
        "mute",
        "hold",
        "answer",
        "end",
    ]


async def test_a_visitor_who_does_not_come_back_in_time_ends_the_call_for_both(pair):
    a, b = alive(pair[0]), alive(pair[1])
    async with call_between(b, a, resume=False) as (visitor, alice, call, incoming):
        visitor.signaling.abort()
        await incoming.wait_for_state("ended", timeout=GRACE + 10)
        # (alice may have resumed herself meanwhile, on a loaded Redis: she is then told again.)
        told = history(alice).remote_connection(incoming)
        assert set(told) == {"reconnecting"}, history(alice).call_events(incoming)
        assert (history(alice).states(incoming), incoming.end_reason) == (
            ["ringing", "in_call", "ended"],
            "connection_lost",
        )
    assert record(a, call.call_id) == {
        "phase": "ended",
        "end_reason": "connection_lost",
        "ended": True,
    }
    assert events_of(a, call.call_id)[-2:] == ["connection_dropped", "connection_lost"]


async def test_the_agent_resumes_on_the_other_process_when_its_own_is_killed(pair):
    a, b = alive(pair[0]), alive(pair[1])
    try:
        async with call_between(b, a) as (_visitor, alice, call, incoming):
            flow = Flow(call, incoming)
            await asyncio.sleep(1.5)
            b.process.send_signal(signal.SIGKILL)
            await until(lambda: history(alice).connection == RESUMED, GRACE, "alice to resume")
            assert alice.signaling.server_now == a.url
            await asyncio.sleep(1.5)
            await flow.stop()
            assert flow.never_stopped(), flow.samples
            # A media restart (as after a network change) across the two processes.
            await incoming.restart_media()
            await call.wait_for_media("audio", flowing=True, timeout=15, window=1.0)
            await incoming.mute()
            await call.wait_for(lambda: call.remote_muted, 10, "the visitor to be told of the mute")
            await call.end()
            await incoming.wait_for_state("ended", timeout=10)
        assert incoming.end_reason == "ended_by_remote"
    finally:
        alive(b)


async def test_the_sweeper_ends_calls_whose_party_vanished_with_a_killed_process(pair):
    a, b = alive(pair[0]), alive(pair[1])
    try:
        # The visitor does not come back: its process and its client die together.
        async with call_between(a, b, resume=False) as (_visitor, alice, call, incoming):
            started = time.monotonic()
            b.process.send_signal(signal.SIGKILL)
            await incoming.wait_for_state("ended", timeout=PROCESS_TIMEOUT + GRACE + 10)
            took = time.monotonic() - started
            assert incoming.end_reason == "connection_lost"
            told = history(alice).remote_connection(incoming)
            assert set(told) == {"reconnecting"}, history(alice).call_events(incoming)
            # The process timeout, the grace, and a few sweeps on a loaded machine.
            assert took < PROCESS_TIMEOUT + GRACE + 5, took
        assert record(a, call.call_id)["end_reason"] == "connection_lost"
    finally:
        alive(b)


async def test_sigterm_tells_clients_to_reconnect_and_they_resume_with_the_call_intact(pair):
    a, b = alive(pair[0]), alive(pair[1])
    try:
        async with call_between(b, a) as (visitor, alice, call, incoming):
            flow = Flow(call, incoming)
            await asyncio.sleep(1.5)
            a.process.send_signal(signal.SIGTERM)  # a deploy restarts the visitor's process
            await until(
                lambda: history(visitor).connection == RESUMED, GRACE, "the visitor to resume"
            )
            assert visitor.last_close is not None
            assert visitor.last_close.code == Close.RESTART  # 1012, Service Restart, moved
            assert visitor.signaling.server_now == b.url
            await asyncio.to_thread(a.process.wait, 15)  # and the process exits
            await until(
                lambda: history(alice).remote_connection(incoming) == ["reconnecting", "connected"],
                10,
                "alice to see the visitor reconnecting then connected",
            )
            await asyncio.sleep(1)
            await flow.stop()
            assert flow.never_stopped(), flow.samples
            await call.hold()
            await incoming.wait_for_state("remotely_held", timeout=10)
            await call.end()
            await incoming.wait_for_state("ended", timeout=10)
        assert (call.end_reason, incoming.end_reason) == ("ended_by_local", "ended_by_remote")
        assert "connection_lost" not in events_of(b, call.call_id)
    finally:
        alive(a)


class PrivateRedis:
    """A redis-server of this test's own, on its own port: restarting the machine's
    Redis would disturb everyone else using it."""

    def __init__(self, tmp):
        self.port, self.dir = free_port(), tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        need("redis-server", binary is not None, "apt-get install redis-server")
        assert binary is not None
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture(scope="module")
def pair_on_private_redis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("private-redis")
    redis = PrivateRedis(tmp).start()
    database = postgres_database()
    env = base_env(
        tmp,
        DATABASE_URL=database,
        REDIS_URL=redis.url,
        # Resume attempts wait for a hello while Redis is down: room for a loaded machine.
        SUPPORTCALL_RESUME_GRACE="45",
        SUPPORTCALL_PROCESS_TIMEOUT=str(PROCESS_TIMEOUT),
        SUPPORTCALL_PING_INTERVAL="1",
    )
    prepare(env)
    servers = [Server(env, tmp).start(), Server(env, tmp).start()]
    yield servers, redis
    for server in servers:
        server.stop()
    redis.stop()
    drop_postgres_database(database)


async def test_a_redis_restart_mid_call_loses_no_call_and_signaling_works_again(
    pair_on_private_redis,
):
    (a, b), redis = pair_on_private_redis
    async with call_between(b, a) as (visitor, alice, call, incoming):
        redis.stop()
        await asyncio.sleep(2)
        redis.start()
        # Both clients lost their consumers with Redis, and resumed once it was back.
        await until(
            lambda: (
                "reconnecting" in history(visitor).connection
                and "reconnecting" in history(alice).connection
                and visitor.connection_state == alice.connection_state == "connected"
            ),
            45,
            "both parties to resume",
        )
        await call.wait_for_media("audio", flowing=True, timeout=15, window=1.0)
        await call.hold()
        await incoming.wait_for_state("remotely_held", timeout=15)
        await call.end()
        await incoming.wait_for_state("ended", timeout=15)
    assert record(a, call.call_id) == {
        "phase": "ended",
        "end_reason": "ended_by_local",
        "ended": True,
    }


async def test_a_resume_token_works_once_even_when_two_processes_race_for_it(pair):
    a, b = alive(pair[0]), alive(pair[1])
    visitor = await Wire.visitor(a.url)
    token = visitor.hello["resume_token"]
    visitor.ws.transport.abort()
    opened = []

    async def resume_on(server: Server):
        ws = await websockets.connect(server.url.replace("http", "ws", 1) + "/ws/v1/calls")
        opened.append(ws)
        await ws.send(json.dumps({"type": "auth", "resume_token": token}))
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), 15))["type"]
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code

    try:
        results = await asyncio.gather(resume_on(a), resume_on(b))
        assert sorted(results, key=str) == [4401, "hello"]
    finally:
        for ws in opened:
            await ws.close()


async def test_a_connection_gone_silent_is_closed_and_its_calls_end_after_the_grace(pair):
    a, b = alive(pair[0]), alive(pair[1])
    alice = await Wire.agent(b.url, "alice")  # her laptop lid closes: she goes silent
    visitor = await Wire.visitor(a.url)

    async def ping_forever() -> None:
        while True:
            await visitor.ws.send(json.dumps({"type": "ping", "id": "ping"}))
            await asyncio.sleep(1)

    pinger = asyncio.create_task(ping_forever())
    try:
        ack = await visitor.request("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
        call_id = ack["call_id"]
        await alice.event("call.incoming", call_id=call_id)
        await alice.request("call.accept", call_id=call_id, sdp=ANSWER["audio"])
        await visitor.event("call.state", call_id=call_id, state="in_call")
        started = time.monotonic()
        dropped = await visitor.event(
            "call.media", call_id=call_id, timeout=IDLE_TIMEOUT + 10, connection="reconnecting"
        )
        assert dropped["connection"] == "reconnecting"
        ended = await visitor.event("call.state", call_id=call_id, timeout=GRACE + 10)
        assert (ended["state"], ended["reason"]) == ("ended", "connection_lost")
        took = time.monotonic() - started
        assert took < GRACE + 5, took
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await alice.ws.recv()
        assert alice.ws.close_code == 4408
    finally:
        pinger.cancel()
        await visitor.close()
        await alice.close()
