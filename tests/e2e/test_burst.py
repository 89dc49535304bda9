"""A burst of calls against a real daphne: every call connects and every record is whole (issue 9).

200 calls, 50 in flight, through the demo queue, on the embedded defaults
(SQLite, the in-memory channel layer) and on PostgreSQL with Redis. Agents
take every call they are rung for (up to five at once each); visitors hang up
once in the call. Correctness only: how fast is `make bench`'s business.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.support.sdps import ANSWER, OFFER
from tests.support.servers import (
    DEMO_PASSWORD,
    Server,
    base_env,
    django_shell,
    drop_postgres_database,
    postgres_database,
    prepare,
    redis_url,
)
from tests.support.wire import Wire

CALLS = 200
IN_FLIGHT = 50
AGENTS = 12
CALLS_PER_AGENT = 5  # 12 agents x 5 > 50: nobody waits for long
QUEUE = "support@support.example.com"
BURST_TIMEOUT = 240  # the whole burst, on a loaded machine
WAIT = 60  # for any one step of a call

pytestmark = pytest.mark.timeout(600)

SETUP_AGENTS = f"""
from supportcall.directory.models import Agent, Queue
from supportcall.directory.setup import ensure_agent
Queue.objects.filter(name="support").update(strategy="longest_idle", max_wait=0)
for n in range({AGENTS}):
    ensure_agent(f"burst{{n}}", "{DEMO_PASSWORD}", ["support"])
Agent.objects.filter(user__username__startswith="burst").update(max_calls={CALLS_PER_AGENT})
"""

RECORDS = """
import json
from supportcall.calls.models import Call
calls = []
for call in Call.objects.prefetch_related("events"):
    calls.append({
        "phase": call.phase, "end_reason": call.end_reason, "answered": call.answered is not None,
        "ended": call.ended is not None, "agent": call.agent_id is not None,
        "events": [e.name for e in call.events.all()],
    })
print(json.dumps(calls))
"""


@pytest.fixture(scope="module", params=["embedded", "postgres+redis"])
def burst_server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"burst-{request.param}")
    extra = {"SUPPORTCALL_SWEEP_INTERVAL": "1.0"}
    database = ""
    if request.param == "postgres+redis":
        database = postgres_database()
        extra.update(
            DATABASE_URL=database,
            REDIS_URL=redis_url(),
            SUPPORTCALL_CHANNEL_PREFIX=f"burst-{database.rsplit('_', 1)[-1]}",
        )
    env = base_env(tmp, **extra)
    prepare(env)
    django_shell(env, SETUP_AGENTS)
    server = Server(env, tmp).start()
    server.env, server.config = env, request.param
    yield server
    server.stop()
    if database:
        drop_postgres_database(database)


@dataclass
class Visitor:
    """What one caller saw of its call."""

    states: list[str] = field(default_factory=list)
    reason: str = ""
    errors: list[dict] = field(default_factory=list)


async def keep_pinging(wire: Wire) -> None:
    """As `hello` asks: a client that stops pinging is closed 4408."""
    while True:
        await asyncio.sleep(wire.hello["ping_interval"] / 2)
        await wire.ws.send(json.dumps({"type": "ping"}))


async def answer_everything(wire: Wire, errors: list[dict]) -> None:
    """An agent taking each call it is rung for; the caller hangs up."""
    async for raw in wire.ws:
        frame = json.loads(raw)
        if frame["type"] == "call.incoming":
            request = {"type": "call.accept", "call_id": frame["call_id"], "sdp": ANSWER["audio"]}
            await wire.ws.send(json.dumps(request))
        elif frame["type"] == "error":
            errors.append(frame)


async def one_call(url: str, seen: Visitor) -> None:
    # A burst is slow to serve, not refused: on a slow machine a login waits its turn.
    visitor = await Wire.visitor(url, timeout=WAIT)
    pinging = asyncio.create_task(keep_pinging(visitor))
    try:
        ack = await visitor.request("call.create", to=QUEUE, media="audio", sdp=OFFER["audio"])
        if ack["type"] == "error":
            seen.errors.append(ack)
            return
        call_id = ack["call_id"]
        while not seen.states or seen.states[-1] != "ended":
            frame = await visitor.event("call.state", timeout=WAIT, call_id=call_id)
            seen.states.append(frame["state"])
            seen.reason = frame.get("reason", "")
            if frame["state"] == "in_call":
                ended = await visitor.request("call.end", call_id=call_id)
                if ended["type"] == "error":
                    seen.errors.append(ended)
    finally:
        pinging.cancel()
        await visitor.close()


async def burst(url: str, in_flight: int) -> tuple[list[Visitor], list[dict]]:
    agent_errors: list[dict] = []
    agents = [await Wire.agent(url, f"burst{n}") for n in range(AGENTS)]
    tasks = [asyncio.create_task(answer_everything(a, agent_errors)) for a in agents]
    tasks += [asyncio.create_task(keep_pinging(a)) for a in agents]
    visitors = [Visitor() for _ in range(CALLS)]
    slots = asyncio.Semaphore(in_flight)

    async def limited(seen: Visitor) -> None:
        async with slots:
            await one_call(url, seen)

    try:
        async with asyncio.timeout(BURST_TIMEOUT):
            await asyncio.gather(*(limited(v) for v in visitors))
    finally:
        for task in tasks:
            task.cancel()
        for agent in agents:
            await agent.close()
    return visitors, agent_errors


def test_a_burst_of_calls_all_connect_and_leave_complete_records(burst_server):
    visitors, agent_errors = asyncio.run(burst(burst_server.url, IN_FLIGHT))

    assert [v.errors for v in visitors if v.errors] == []
    assert agent_errors == []
    # Every caller's whole history: rung at once or queued first, then answered and ended.
    histories = Counter(tuple(v.states) for v in visitors)
    assert set(histories) <= {
        ("initiated", "ringing", "in_call", "ended"),
        ("initiated", "queued", "ringing", "in_call", "ended"),
    }, histories
    assert sum(histories.values()) == CALLS
    assert {v.reason for v in visitors} == {"ended_by_local"}

    records = json.loads(django_shell(burst_server.env, RECORDS).strip().splitlines()[-1])
    assert len(records) == CALLS
    for record in records:
        assert (record["phase"], record["end_reason"]) == ("ended", "ended_by_local"), record
        assert record["answered"] and record["ended"] and record["agent"], record
        assert record["events"][0] == "create" and record["events"][-1] == "end", record
        assert "accept" in record["events"], record

    log = burst_server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
