"""The load of each scenario, against the product or a floor; each returns raw numbers.

A function here measures once; bench/__main__.py repeats, summarises and compares.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.report import percentile
from bench.servers import cpu_seconds, rss_bytes
from bench.wire import (
    ANSWER,
    CANDIDATE,
    OFFER,
    Failed,
    Peer,
    agent,
    answered_call,
    end_call,
    login,
)

MEDIA = "audio"


# -- 1. relay -------------------------------------------------------------------


@dataclass
class Pair:
    visitor: Peer
    agent: Peer
    call_id: str


async def product_pairs(server: str, agents: list[Peer], calls: int) -> list[Pair]:
    """`calls` answered calls, visitor i with agent i."""
    pairs: list[Pair] = []
    for i in range(calls):
        for peer in [*agents, *(p.visitor for p in pairs)]:
            await peer.keep_alive()
        visitor, call_id, _ = await answered_call(server, agents[i], i, OFFER, ANSWER, MEDIA)
        pairs.append(Pair(visitor, agents[i], call_id))
    return pairs


async def floor_pairs(server: str, calls: int) -> list[Pair]:
    pairs = []
    for i in range(calls):
        visitor = await Peer.open(server, f"relay{i}:visitor")
        agent = await Peer.open(server, f"relay{i}:agent")
        pairs.append(Pair(visitor, agent, f"relay{i}"))
    return pairs


async def _bounce(pair: Pair, stop_at: float, latencies: list[float]) -> None:
    """The visitor sends a candidate; the agent sends it back; one at a time per call."""

    async def echo() -> None:
        while True:
            frame = await pair.agent.recv()
            if frame.get("type") == "ice.candidate":
                await pair.agent.send(
                    "ice.candidate", call_id=pair.call_id, candidate=frame["candidate"]
                )
            elif frame.get("type") == "error":
                raise Failed(f"agent's candidate: {frame}")

    echoing = asyncio.create_task(echo())
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            await pair.visitor.send("ice.candidate", call_id=pair.call_id, candidate=CANDIDATE)
            async with asyncio.timeout(30):
                while True:
                    frame = await pair.visitor.recv()
                    if frame.get("type") == "ice.candidate":
                        break
                    if frame.get("type") == "error":
                        raise Failed(f"visitor's candidate: {frame}")
            latencies.append(time.perf_counter() - started)
            if echoing.done():
                echoing.result()
    finally:
        echoing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await echoing


async def relay(pairs: list[Pair], seconds: float, pid: int) -> dict[str, Any]:
    """Round trips per second over every call for `seconds`, and their latencies; how busy
    the server's core and the load's were (a saturated load core caps the number)."""
    latencies: list[float] = []
    server_cpu, load_cpu = cpu_seconds(pid), _own_cpu()
    started = time.monotonic()
    await asyncio.gather(*(_bounce(p, started + seconds, latencies) for p in pairs))
    elapsed = time.monotonic() - started
    return {
        "round_trips": len(latencies),
        "seconds": elapsed,
        "round_trips_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "server_cpu": (cpu_seconds(pid) - server_cpu) / elapsed,
        "load_cpu": (_own_cpu() - load_cpu) / elapsed,
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def close_pairs(pairs: list[Pair], product: bool) -> None:
    for pair in pairs:
        if product:
            with contextlib.suppress(Exception):
                await end_call(pair.visitor, pair.agent, pair.call_id)
        await pair.visitor.close()
        if not product:
            await pair.agent.close()


# -- 2. call setup --------------------------------------------------------------


@dataclass
class SetupResult:
    calls: int = 0
    ok: int = 0
    failures: Counter = field(default_factory=Counter)
    create_to_in_call: list[float] = field(default_factory=list)
    click_to_in_call: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "ok": self.ok,
            "failed": self.calls - self.ok,
            "failures": dict(self.failures),
            "seconds": self.seconds,
            "calls_per_s": self.ok / self.seconds if self.seconds else 0.0,
            "create_to_in_call_p50_ms": percentile(self.create_to_in_call, 50) * 1000,
            "create_to_in_call_p95_ms": percentile(self.create_to_in_call, 95) * 1000,
            "login_to_in_call_p95_ms": percentile(self.click_to_in_call, 95) * 1000,
        }


async def call_setup(
    server: str,
    agents: list[Peer],
    calls: int,
    in_flight: int,
    timeout: float = 30,
    result: SetupResult | None = None,
    stop_at: float = float("inf"),
) -> SetupResult:
    """`calls` whole lifecycles, `in_flight` at a time, each worker with its own agent.
    `result` fills as calls finish (the soak watches it); no call starts after `stop_at`."""
    result = result or SetupResult()
    result.calls = 0
    todo = iter(range(calls))

    async def worker(w: int) -> None:
        for _ in todo:
            if time.monotonic() >= stop_at:
                return
            result.calls += 1
            try:
                async with asyncio.timeout(timeout):
                    visitor, call_id, times = await answered_call(
                        server, agents[w], w, OFFER, ANSWER, MEDIA
                    )
                    await end_call(visitor, agents[w], call_id)
            except Exception as e:  # a timeout, an error answer, a closed socket: counted
                result.failures[_reason(e)] += 1
                # What was left of the call (a stale ringing, an ended event) goes.
                agents[w].backlog.clear()
                if agents[w].closed:  # one failure, not every call after it
                    with contextlib.suppress(Exception):
                        await agents[w].close()
                        agents[w] = await agent(server, w)
                continue
            result.ok += 1
            result.create_to_in_call.append(times["in_call"] - times["create"])
            result.click_to_in_call.append(times["in_call"] - times["start"])

    started = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(in_flight)))
    result.seconds = time.monotonic() - started
    return result


def _reason(e: BaseException) -> str:
    text = str(e).split("\n")[0][:120]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


# -- 3. idle connections --------------------------------------------------------


@dataclass
class Idle:
    """Connections that only ping, as `hello` asks."""

    peers: list[Peer] = field(default_factory=list)
    tasks: list[asyncio.Task] = field(default_factory=list)
    failed: Counter = field(default_factory=Counter)
    dropped: int = 0
    pings: int = 0

    async def keep(self, peer: Peer) -> None:
        interval = float(peer.hello.get("ping_interval", 10))
        try:
            await asyncio.sleep(random.uniform(0, interval))
            while True:
                rid = await peer.send("ping")
                async with asyncio.timeout(max(30.0, interval * 3)):
                    while (await peer.recv()).get("id") != rid:
                        pass
                self.pings += 1
                await asyncio.sleep(interval)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.dropped += 1

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for i in range(0, len(self.peers), 500):
            await asyncio.gather(
                *(p.close() for p in self.peers[i : i + 500]), return_exceptions=True
            )


async def idle(
    server: str,
    pid: int,
    connections: int,
    product: bool,
    concurrency: int,
    connect_seconds: float,
    windows: int,
    window_seconds: float,
) -> dict[str, Any]:
    """Connect `connections` authenticated clients (within `connect_seconds`), then
    measure the server's memory per connection and its CPU over `windows` windows.

    The product's clients log in first, all of them, before the memory baseline: what
    holding a connection costs is measured apart from what the logins (HTTP requests,
    perhaps served by another process) leave behind, which is reported beside it."""
    held = Idle()
    tokens: dict[int, str] = {}

    async def one(i: int) -> None:
        try:
            if product and i not in tokens:
                tokens[i] = (await login(server))["token"]
            peer = await Peer.open(server, tokens[i] if product else f"idle{i}:visitor")
        except Exception as e:
            held.failed[_reason(e)] += 1
            return
        held.peers.append(peer)
        held.tasks.append(asyncio.create_task(held.keep(peer)))

    # A first connection loads what the first one loads; the baseline comes after it.
    await one(-1)
    first = len(held.peers)  # 1, or 0 if even that failed
    held.failed.clear()
    await asyncio.sleep(1)
    rss_start = rss_bytes(pid)
    gate = asyncio.Semaphore(concurrency)
    if product:

        async def log_in(i: int) -> None:
            async with gate:
                try:
                    tokens[i] = (await login(server))["token"]
                except Exception as e:
                    held.failed[_reason(e)] += 1

        await asyncio.gather(*(log_in(i) for i in range(connections)))
        await asyncio.sleep(1)
    rss_before = rss_bytes(pid)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    started = time.monotonic()
    pending = [asyncio.create_task(gated(i)) for i in range(connections)]
    _, late = await asyncio.wait(pending, timeout=connect_seconds)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    connect_time = time.monotonic() - started
    connected = len(held.peers) - first
    failed_to_connect = connections - connected
    if late:
        held.failed["not connected in time"] += len(late)
    await asyncio.sleep(2)
    rss_after = rss_bytes(pid)
    cpu = []
    for _ in range(windows):
        cpu_start, wall_start = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(window_seconds)
        cpu.append((cpu_seconds(pid) - cpu_start) / (time.monotonic() - wall_start))
    alive = sum(1 for t in held.tasks[first:] if not t.done())
    result = {
        "requested": connections,
        "connected": connected,
        "failed_to_connect": failed_to_connect,
        "failures": dict(held.failed),
        "connect_seconds": connect_time,
        "connects_per_s": connected / connect_time if connect_time else 0.0,
        "alive_at_end": alive,
        "dropped": held.dropped,
        "pings_answered": held.pings,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "bytes_per_connection": (rss_after - rss_before) / connected if connected else None,
        "bytes_per_login_and_connection": (
            (rss_after - rss_start) / connected if connected else None
        ),
        "cpu_core_fraction": cpu,
        "ping_interval": float(held.peers[0].hello.get("ping_interval", 10))
        if held.peers
        else None,
    }
    await held.close()
    return result


# -- 5. soak --------------------------------------------------------------------


async def soak(
    server: str,
    pid: int,
    agents: list[Peer],
    lifecycles: int,
    in_flight: int,
    warmup: float,
    max_seconds: float,
    db_connections: Any,
    sample_every: float = 1.0,
) -> dict[str, Any]:
    """`lifecycles` calls through one process (no call starts after `max_seconds`), the
    server's memory and its database connections (`db_connections()`) sampled meanwhile."""
    progress = SetupResult()
    samples: list[dict[str, float]] = []
    started = time.monotonic()
    running = asyncio.create_task(
        call_setup(
            server, agents, lifecycles, in_flight, result=progress, stop_at=started + max_seconds
        )
    )
    while not running.done():
        await asyncio.wait([running], timeout=sample_every)
        samples.append(
            {
                "lifecycles": progress.ok + sum(progress.failures.values()),
                "seconds": time.monotonic() - started,
                "rss": rss_bytes(pid),
                "db_connections": await asyncio.to_thread(db_connections),
            }
        )
    running.result()
    done = progress.ok + sum(progress.failures.values())
    # Both under load: the first sample past the warm-up, and the last one.
    warm = next((s for s in samples if s["lifecycles"] >= done * warmup), None)
    last = samples[-2] if len(samples) > 1 else (samples[-1] if samples else None)
    rss_warm, rss_end = (warm or {}).get("rss"), (last or {}).get("rss")
    after_warmup = [s for s in samples if warm and s["seconds"] >= warm["seconds"]]
    half = len(after_warmup) // 2
    return {
        "lifecycles_requested": lifecycles,
        "lifecycles_done": done,
        "ok": progress.ok,
        "failed": sum(progress.failures.values()),
        "failures": dict(progress.failures),
        "seconds": time.monotonic() - started,
        "rss_after_warmup": rss_warm,
        "rss_end": rss_end,
        "rss_growth": (rss_end - rss_warm) / rss_warm if rss_warm and rss_end else None,
        "db_connections_max": max((s["db_connections"] for s in samples), default=None),
        "db_connections_max_first_half": max(
            (s["db_connections"] for s in after_warmup[:half]), default=None
        ),
        "db_connections_max_second_half": max(
            (s["db_connections"] for s in after_warmup[half:]), default=None
        ),
        "samples": samples,
    }
