"""A bot runs for weeks: the client keeps no history, so its memory stays flat.

1,000 calls on the real server through one long-lived Agent (and one
Visitor): every fifth is answered with real media (offer, answer, ICE and
DTLS, ``in_call``, hang-up), the others are rejected while they ring, which
is quicker and goes through the same events and states. What the first calls
leave behind (caches that fill once, the capped list of ended call ids) is
measured away by a warm-up; after it neither the objects alive nor the bytes
allocated and still held may grow with the number of calls.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
import weakref
from collections import Counter

from supportcall.client import Agent, Call, Visitor
from supportcall.client.session import MAX_RETIRED
from supportcall.vocabulary import Presence, State
from tests.support.servers import DEMO_PASSWORD

CALLS = 1000
WITH_MEDIA_EVERY = 5
WARM_UP = 300  # well past the cap of remembered ended calls (MAX_RETIRED)
# With tracemalloc on (it slows every allocation down): a first stretch for the
# capped caches to turn over, then the stretch whose growth is measured.
TRACED_SETTLE, TRACED = 100, 150
assert MAX_RETIRED < TRACED_SETTLE


# Not the client's: cryptography 50 leaks ~70 bytes for each certificate it signs
# (aiortc makes one per peer connection); asyncio frees cancelled timers lazily.
# Objects of asyncio's own are still counted by census().
NOT_THE_CLIENTS = [
    tracemalloc.Filter(False, "*/cryptography/*"),
    tracemalloc.Filter(False, "*/asyncio/*"),
]


def held() -> tracemalloc.Snapshot:
    """What was allocated since tracemalloc started and is still held, but NOT_THE_CLIENTS."""
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(NOT_THE_CLIENTS)


def size(snapshot: tracemalloc.Snapshot) -> int:
    return sum(stat.size for stat in snapshot.statistics("filename"))


def census() -> Counter[str]:
    """The objects the garbage collector tracks, by type."""
    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


async def settled(baseline: int) -> None:
    """Until only the tasks alive between calls run (what a call left, its media's close
    included, finished): a measurement counts what is kept, not what is still going."""
    for _ in range(100):
        if len(asyncio.all_tasks()) <= baseline:
            return
        await asyncio.sleep(0.05)
    running = len(asyncio.all_tasks())
    raise AssertionError(f"{running} tasks still running, {baseline} between calls")


async def one_call(visitor: Visitor, agent: Agent, media: bool) -> None:
    call = await visitor.call(to="alice@support.example.com")  # direct: a reject ends it
    incoming = await agent.next_incoming(timeout=10)
    if media:
        await incoming.accept()
        await call.wait_for_state(State.IN_CALL, timeout=10)
        await call.end()
    else:
        await incoming.reject()
    await incoming.wait_for_state(State.ENDED, timeout=10)
    await call.wait_for_state(State.ENDED, timeout=10)
    await agent.wait_for(lambda: not agent.calls, 10, "the agent to let the call go")
    await visitor.wait_for(lambda: not visitor.calls, 10, "the visitor to let the call go")


async def test_a_thousand_calls_through_one_agent_leave_its_memory_flat(options):
    agent = Agent(options, "alice", DEMO_PASSWORD)
    visitor = Visitor(options, site="demo")
    alive: weakref.WeakSet[Call] = weakref.WeakSet()
    seen = 0

    def track(call: Call) -> None:
        nonlocal seen
        alive.add(call)
        seen += 1

    agent.on("call", track)
    visitor.on("call", track)
    await agent.connect()
    await agent.set_presence(Presence.AVAILABLE)
    await visitor.connect()
    baseline = len(asyncio.all_tasks())
    placed = 0

    async def calls(count: int) -> None:
        nonlocal placed
        for _ in range(count):
            await one_call(visitor, agent, media=placed % WITH_MEDIA_EVERY == 0)
            placed += 1

    started = time.monotonic()
    try:
        await calls(WARM_UP)
        await settled(baseline)
        objects_before = census()
        await calls(CALLS - WARM_UP - TRACED_SETTLE - TRACED)
        tracemalloc.start()
        await calls(TRACED_SETTLE)
        await settled(baseline)
        held_before = held()
        await calls(TRACED)
        await settled(baseline)
        held_after = held()
        tracemalloc.stop()
        more = size(held_after) - size(held_before)
        where = "\n".join(str(s) for s in held_after.compare_to(held_before, "lineno")[:8])
        del held_before, held_after  # its traces are objects too
        objects_after = census()
    finally:
        tracemalloc.stop()
        await visitor.close()
        await agent.close()
    took = time.monotonic() - started

    assert (placed, seen) == (CALLS, 2 * CALLS)
    assert len(alive) == 0, f"{len(alive)} calls are still referenced"
    # Keeping one event per call would be 700 more objects; keeping the calls'
    # SDPs or ids, 150 strings of 36 to 2,000 bytes and more.
    # asyncio keeps cancelled timers (with their contexts) in its heap until they
    # are due or more than half of it is cancelled (at least 100): how many are
    # there at a given moment depends on timing, not on how many calls passed.
    # They are bounded on their own: one kept per call would be 700.
    timers = ("asyncio.events.TimerHandle", "_contextvars.Context")
    timers_grown = max(objects_after[t] - objects_before[t] for t in timers)
    assert timers_grown < 250, f"{timers_grown} more asyncio timers after {CALLS - WARM_UP} calls"
    for kind in timers:
        objects_before.pop(kind, None)
        objects_after.pop(kind, None)
    grown = objects_after.total() - objects_before.total()
    growth = (objects_after - objects_before).most_common(5)
    assert grown < 200, f"{grown} objects more after {CALLS - WARM_UP} calls: {growth}"
    assert more < 10_000, f"{more} bytes more held after {TRACED} calls ({took:.0f}s):\n{where}"
