"""`make bench`: the targets of issue 9, measured against floors in the same run.

    python -m bench                          # every scenario at full size (make bench)
    python -m bench --quick                  # tiny sizes, to check the harness (make bench-quick)
    python -m bench --scenario relay --relay-calls 5 --repeat 2

The server runs on core 0 (taskset), this process (the load) on core 1.
Prints a table and writes the raw results to artifacts/bench-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import media, scenarios, wire
from bench.report import Row, Summary, Target, table
from bench.servers import (
    ROOT,
    Config,
    Process,
    Stack,
    cpu_seconds,
    open_files,
    pin_load_generator,
)

SCENARIOS = ("relay", "setup", "idle", "media", "soak")
# The soak's token retention, seconds (SUPPORTCALL_TOKEN_RETENTION), and how often the
# server prunes (supportcall.calls.sweeper.PRUNE_INTERVAL).
SOAK_RETENTION = 10
PRUNE_INTERVAL = 60
CONFIGS = ("embedded", "postgres+redis")
QUICK = {
    "repeat": 2,
    "relay_calls": 3,
    "relay_seconds": 2.0,
    "setup_calls": 12,
    "setup_in_flight": 3,
    "idle_connections": 50,
    "idle_window": 3.0,
    "idle_connect_seconds": 60.0,
    "soak_lifecycles": 100,
    "soak_in_flight": 5,
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="tiny sizes (any option given still wins)")
    add("--scenario", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    add("--config", default=",".join(CONFIGS), help="for relay and setup: " + ", ".join(CONFIGS))
    add("--repeat", type=int, default=3, help="measurements per scenario (median, min to max)")
    add("--relay-calls", type=int, default=50)
    add("--relay-seconds", type=float, default=10.0, help="length of one relay measurement")
    add("--setup-calls", type=int, default=400)
    add("--setup-in-flight", type=int, default=20)
    add("--idle-connections", type=int, default=5000)
    add("--idle-concurrency", type=int, default=50, help="connections being opened at once")
    add("--idle-connect-seconds", type=float, default=600.0, help="give up connecting after")
    add("--idle-window", type=float, default=20.0, help="seconds of one idle CPU measurement")
    add("--idle-config", default="embedded", choices=CONFIGS)
    add("--media-config", default="embedded", choices=CONFIGS)
    add("--soak-lifecycles", type=int, default=10000)
    add("--soak-in-flight", type=int, default=20)
    add("--soak-warmup", type=float, default=0.1, help="fraction of the soak before memory counts")
    add("--soak-max-seconds", type=float, default=1800.0, help="no new call after this")
    add("--soak-config", default="postgres+redis", choices=CONFIGS)
    add("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    add("--redis-url", default="redis://127.0.0.1:6379/12", help="a Redis db of the bench's own")
    add("--output", default=str(ROOT / "artifacts"), help="folder for the JSON results")
    add("--keep", action="store_true", help="keep the scratch folder (SQLite files)")
    add("--max-load", type=float, help="wait until the 1-minute load average is below this")
    add("--wait", type=float, default=600.0, help="seconds --max-load waits before giving up")
    quick, _ = parser.parse_known_args(argv)
    if quick.quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)
    for url in (args.postgres_url, args.redis_url):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            parser.error(f"{url}: the bench reaches only 127.0.0.1")
    args.scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    args.configs = [c.strip() for c in args.config.split(",") if c.strip()]
    for name in args.scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}")
    for name in args.configs:
        if name not in CONFIGS:
            parser.error(f"unknown configuration {name!r}")
    return args


class Bench:
    def __init__(self, args: argparse.Namespace, started: datetime):
        self.args, self.started, self.load_start = args, started, list(os.getloadavg())
        self.stamp = started.strftime("%Y%m%d-%H%M%S")
        # Server logs next to the results: a traceback counted in the table can be read.
        self.log_dir = Path(args.output) / f"bench-{self.stamp}-logs"
        self.stack = Stack(args.postgres_url, args.redis_url, self.log_dir, keep=args.keep)
        self.rows: list[Row] = []
        self.raw: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.notes: list[str] = []
        self.steps: list[tuple[str, str]] = []
        self.done: list[str] = []

    def config(self, name: str) -> Config:
        return self.stack.embedded() if name == "embedded" else self.stack.postgres_redis()

    async def run(self) -> None:
        steps = self.steps
        for name in self.args.scenarios:
            if name in ("relay", "setup"):
                steps += [(name, config) for config in self.args.configs]
            else:
                steps.append((name, getattr(self.args, f"{name}_config")))
        for name, config in steps:
            label = f"{name} [{config}]"
            print(f"--- {label}", flush=True)
            started, before = time.monotonic(), len(self.rows)
            try:
                await getattr(self, name)(label, config)
            except Exception:
                self.errors[label] = traceback.format_exc()
                print(f"{label} failed:\n{self.errors[label]}", file=sys.stderr, flush=True)
            finally:
                # Whatever happened, nothing of this scenario runs on during the next one.
                self.stack.stop_all()
            print(f"    {time.monotonic() - started:.0f} s", flush=True)
            self.done.append(label)
            if len(self.rows) > before:
                print(table(self.rows[before:]), flush=True)
            # What is measured so far is on disk, should the run be stopped before the end.
            self.write()

    def row(
        self, label: str, metric: str, ours: Sequence[float], target: Target | None, **kw: Any
    ) -> None:
        self.rows.append(Row(label, metric, Summary.of(ours), target, **kw))

    async def _stop(self, process: Process) -> list[str]:
        """Stops it; the errors it logged (the log itself stays in the logs folder)."""
        process.stop()
        return process.errors()

    # -- 1 ----------------------------------------------------------------------

    async def relay(self, label: str, config_name: str) -> None:
        a, config = self.args, self.config(config_name)
        raw: dict[str, Any] = {"ours": [], "floor": []}
        product = self.stack.product(config, agents=a.relay_calls)
        agents = await wire.agents(product.url, a.relay_calls)
        pairs = await scenarios.product_pairs(product.url, agents, a.relay_calls)
        await scenarios.relay(pairs, min(2.0, a.relay_seconds / 4), product.pid)  # warm-up
        for _ in range(a.repeat):
            raw["ours"].append(await scenarios.relay(pairs, a.relay_seconds, product.pid))
        await scenarios.close_pairs(pairs, product=True)
        for agent in agents:
            await agent.close()
        raw["server_errors"] = await self._stop(product)

        floors: list[tuple[str, str, Callable[[Config], Process]]] = [
            ("minimal Channels on Redis", "floor", self.stack.minimal)
        ]
        if not config.redis:
            # The target is against websockets alone; Channels in memory is shown beside it.
            floors = [
                ("raw websockets", "floor", lambda c: self.stack.raw()),
                ("minimal Channels in memory", "channels", self.stack.minimal),
            ]
        for _, key, start in floors:
            server = start(config)
            raw[key] = []
            pairs = await scenarios.floor_pairs(server.url, a.relay_calls)
            await scenarios.relay(pairs, min(2.0, a.relay_seconds / 4), server.pid)
            for _ in range(a.repeat):
                raw[key].append(await scenarios.relay(pairs, a.relay_seconds, server.pid))
            await scenarios.close_pairs(pairs, product=False)
            await self._stop(server)
        self.raw[label] = raw

        bound = 0.15 if not config.redis else 1.0
        label = f"relay {a.relay_calls} calls [{config_name}]"
        for floor_name, key, _ in floors:
            for metric, field, unit, target in (
                ("round trips/s", "round_trips_per_s", "/s", Target("at_least", bound)),
                ("latency p50", "p50_ms", " ms", None),
                ("latency p95", "p95_ms", " ms", None),
            ):
                self.row(
                    label,
                    metric,
                    [m[field] for m in raw["ours"]],
                    target if key == "floor" else None,
                    unit=unit,
                    floor=Summary.of([m[field] for m in raw[key]]),
                    floor_name=floor_name,
                )
        for who, key in [("ours", "ours"), *((name, key) for name, key, _ in floors)]:
            busy = max(m["load_cpu"] for m in raw[key])
            if busy >= 0.9:
                self.notes.append(
                    f"{label}, {who}: the load core was {busy:.0%} busy, so the load may have "
                    "capped this number (a floor measured so is a lower bound)"
                )

    # -- 2 ----------------------------------------------------------------------

    async def setup(self, label: str, config_name: str) -> None:
        a, config = self.args, self.config(config_name)
        product = self.stack.product(config, agents=a.setup_in_flight)
        warmup, runs = await self._setups(product)
        errors = await self._stop(product)
        # The floor: the same calls through a minimal consumer on the same channel layer.
        floor = self.stack.minimal(config)
        _, floor_runs = await self._setups(floor)
        await self._stop(floor)
        self.raw[label] = {
            "warmup": warmup.as_json(),
            "runs": runs,
            "server_errors": errors,
            "floor": floor_runs,
        }
        label = f"setup {a.setup_calls} calls, {a.setup_in_flight} in flight [{config_name}]"
        floor_name = "minimal Channels" + (" on Redis" if config.redis else " in memory")
        for metric, key, target, unit in (
            ("calls/s", "calls_per_s", Target("at_least", 100), ""),
            ("p95 create→in_call", "create_to_in_call_p95_ms", Target("at_most", 100), " ms"),
        ):
            self.row(
                label,
                metric,
                [r[key] for r in runs],
                target,
                unit=unit,
                floor=Summary.of([r[key] for r in floor_runs]),
                floor_name=floor_name,
                absolute=True,
            )
        self.row(label, "failed calls", [r["failed"] for r in runs], Target("at_most", 0))
        self.row(label, "errors in the server's log", [len(errors)], Target("at_most", 0))
        # Whether the server's core was the limit (1.0: busy all along) or it waited.
        self.row(label, "server core busy", [r["server_cpu"] for r in runs], None)

    async def _setups(self, server: Process) -> tuple[scenarios.SetupResult, list[dict]]:
        """An untimed warm-up call per agent, then ``--repeat`` timed rounds of call setup."""
        a = self.args
        agents = await wire.agents(server.url, a.setup_in_flight)
        # One untimed call per agent first: the server's first requests load what they load.
        warmup = await scenarios.call_setup(
            server.url, agents, a.setup_in_flight, a.setup_in_flight
        )
        runs = []
        for _ in range(a.repeat):
            cpu, started = cpu_seconds(server.pid), time.monotonic()
            result = await scenarios.call_setup(
                server.url, agents, a.setup_calls, a.setup_in_flight
            )
            runs.append(
                {
                    **result.as_json(),
                    "server_cpu": (cpu_seconds(server.pid) - cpu) / (time.monotonic() - started),
                }
            )
        for agent in agents:
            await agent.close()
        return warmup, runs

    # -- 3 ----------------------------------------------------------------------

    async def idle(self, label: str, config_name: str) -> None:
        a, config = self.args, self.config(config_name)
        measure = {
            "connections": a.idle_connections,
            "concurrency": a.idle_concurrency,
            "connect_seconds": a.idle_connect_seconds,
            "windows": a.repeat,
            "window_seconds": a.idle_window,
        }
        product = self.stack.product(config, agents=0)
        ours = await scenarios.idle(product.url, product.pid, product=True, **measure)
        ours["server_errors"] = await self._stop(product)
        floor = self.stack.minimal(config, ping_interval=ours["ping_interval"])
        base = await scenarios.idle(floor.url, floor.pid, product=False, **measure)
        await self._stop(floor)
        self.raw[label] = {"ours": ours, "floor": base}

        label = f"idle {a.idle_connections} connections [{config_name}]"
        floor_name = "minimal Channels"
        self.row(
            label,
            "connected and still up",
            [ours["alive_at_end"]],
            Target("at_least", a.idle_connections),
            floor=Summary.of([base["alive_at_end"]]),
            floor_name=floor_name,
            absolute=True,
        )
        self.row(
            label,
            "connects/s",
            [ours["connects_per_s"]],
            None,
            unit="/s",
            floor=Summary.of([base["connects_per_s"]]),
            floor_name=floor_name,
        )
        kib = [(ours["bytes_per_connection"] or math.nan) / 1024]
        self.row(
            label,
            "memory per connection",
            kib,
            Target("at_most", 1.25),
            unit=" KiB",
            floor=Summary.of([(base["bytes_per_connection"] or math.nan) / 1024]),
            floor_name=floor_name,
        )
        if product_logins := ours.get("bytes_per_login_and_connection"):
            self.row(
                label, "memory per login and connection", [product_logins / 1024], None, unit=" KiB"
            )
        self.row(
            label,
            "idle CPU",
            [c * 100 for c in ours["cpu_core_fraction"]],
            Target("at_most", 10),
            unit="%",
            floor=Summary.of([c * 100 for c in base["cpu_core_fraction"]]),
            floor_name=floor_name,
            absolute=True,
        )

    # -- 4 ----------------------------------------------------------------------

    async def media(self, label: str, config_name: str) -> None:
        a, config = self.args, self.config(config_name)
        product = self.stack.product(config, agents=1)
        (agent,) = await wire.agents(product.url, 1)
        # One of each first: codecs and imports load once, outside the measurement.
        await media.direct()
        await media.through_server(product.url, agent, 0)
        ours: list[float] = []
        floor: list[float] = []
        failures: list[str] = []
        for _ in range(a.repeat):  # interleaved, so both see the same machine
            for measure, into in (
                (lambda: media.through_server(product.url, agent, 0), ours),
                (media.direct, floor),
            ):
                try:
                    into.append(await measure())
                except Exception as e:  # a call that never got its audio: counted
                    failures.append(f"{type(e).__name__}: {e}"[:200])
                    agent.backlog.clear()
        await agent.close()
        errors = await self._stop(product)
        self.raw[label] = {
            "ours_s": ours,
            "floor_s": floor,
            "failures": failures,
            "server_errors": errors,
        }
        self.row(
            f"aiortc call [{config_name}]",
            "click → first audio, both sides",
            [s * 1000 for s in ours],
            Target("at_most", 1.3),
            unit=" ms",
            floor=Summary.of([s * 1000 for s in floor]),
            floor_name="two aiortc peers wired directly",
        )
        failed = [len(failures)]
        self.row(f"aiortc call [{config_name}]", "failed calls", failed, Target("at_most", 0))

    # -- 5 ----------------------------------------------------------------------

    async def soak(self, label: str, config_name: str) -> None:
        a, config = self.args, self.config(config_name)
        # A retention shorter than the soak, so that pruning shows (the default is a day).
        product = self.stack.product(
            config, agents=a.soak_in_flight, SUPPORTCALL_TOKEN_RETENTION=str(SOAK_RETENTION)
        )
        agents = await wire.agents(product.url, a.soak_in_flight)
        rows_before = await asyncio.to_thread(table_rows, config)
        result = await scenarios.soak(
            product.url,
            product.pid,
            agents,
            a.soak_lifecycles,
            a.soak_in_flight,
            a.soak_warmup,
            a.soak_max_seconds,
            db_connections=lambda: db_connections(config, product.pid),
        )
        for agent in agents:
            await agent.close()
        await asyncio.sleep(3)  # the drops are recorded, the groups left
        result["rows_unpruned"] = await asyncio.to_thread(table_rows, config)
        # Pruning runs once a minute: wait for a run after the last token's retention.
        await asyncio.sleep(SOAK_RETENTION + PRUNE_INTERVAL + 5)
        result["rows_before"] = rows_before
        result["rows_after"] = await asyncio.to_thread(table_rows, config)
        if config.redis:
            result["redis_keys_running"] = self.stack.redis_keys(config.channel_prefix)
        result["server_errors"] = await self._stop(product)
        if config.redis:
            result["redis_keys_stopped"] = self.stack.redis_keys(config.channel_prefix)
        self.raw[label] = result

        label = f"soak {a.soak_lifecycles} lifecycles [{config_name}]"
        done = result["lifecycles_done"]
        self.row(label, "lifecycles done", [done], Target("at_least", a.soak_lifecycles))
        self.row(label, "failed", [result["failed"]], Target("at_most", 0))
        growth = result["rss_growth"]
        self.row(
            label,
            "memory growth after warm-up",
            [math.nan if growth is None else growth * 100],
            Target("at_most", 5),
            unit="%",
        )
        peak = result["db_connections_max"]
        # One connection per thread at most: more than the calls in flight is a leak.
        self.row(
            label,
            "db connections, max",
            [math.nan if peak is None else peak],
            Target("at_most", a.soak_in_flight),
        )
        errors = result["server_errors"]
        self.row(label, "errors in the server's log", [len(errors)], Target("at_most", 0))
        if config.redis:
            self.row(
                label,
                "Redis keys left, clients gone",
                [len(result["redis_keys_running"])],
                Target("at_most", 0),
            )
        for name, after in sorted(result["rows_after"].items()):
            grown = after - rows_before.get(name, 0)
            pruned = name in ("tokens_issuedtoken", "calls_connection")
            if grown <= 0 and not pruned:
                continue
            self.row(
                label,
                f"rows of {name} per 1000 lifecycles",
                [grown * 1000 / done if done else math.nan],
                # These two must be pruned (issue 9); the others are the call records.
                Target("at_most", 10) if pruned else None,
            )

    # -- output -------------------------------------------------------------------

    def write(self) -> Path:
        out = Path(self.args.output)
        out.mkdir(parents=True, exist_ok=True)
        stamp = self.stamp
        path = out / f"bench-{stamp}.json"
        document = {
            "started": self.started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "complete": len(self.done) == len(self.steps),
            "load_average_start": self.load_start,
            "load_average_end": list(os.getloadavg()),
            "cpus": os.cpu_count(),
            "server_core": 0,
            "load_core": 1,
            "args": {k: v for k, v in vars(self.args).items()},
            "rows": [row.as_json() for row in self.rows],
            "raw": self.raw,
            "errors": self.errors,
            "notes": self.notes,
        }
        path.write_text(json.dumps(_finite(document), indent=2, default=str, allow_nan=False))
        (out / f"bench-{stamp}.md").write_text(table(self.rows, markdown=True) + "\n")
        return path


def _finite(value: Any) -> Any:
    """The document with NaN (not measured) as null, so that any JSON reader takes it."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_finite(v) for v in value]
    return value


def table_rows(config: Config) -> dict[str, int]:
    """Rows in every table of the product's database."""
    if config.database_url.startswith("sqlite"):
        lite = sqlite3.connect(config.database_url.removeprefix("sqlite:///"))
        try:
            names = [
                n
                for (n,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not n.startswith("sqlite_")
            ]
            return {n: lite.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        finally:
            lite.close()
    import psycopg

    with psycopg.connect(config.database_url) as db:
        names = [
            n
            for (n,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        counts = {}
        for n in names:
            row = db.execute(f'SELECT count(*) FROM "{n}"').fetchone()
            counts[n] = row[0] if row else 0
        return counts


def db_connections(config: Config, pid: int) -> int:
    """The server's database connections: PostgreSQL's backends on its database, or the
    server's open descriptors on the SQLite file."""
    if config.database_url.startswith("sqlite"):
        return open_files(pid, config.database_url.removeprefix("sqlite:///"))
    import psycopg

    name = config.database_url.rsplit("/", 1)[1]
    with psycopg.connect(config.database_url) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
        return row[0] if row else 0


async def _quiet(max_load: float, wait: float) -> bool:
    """Whether the machine's 1-minute load average fell below max_load within `wait` s."""
    deadline = time.monotonic() + wait
    while os.getloadavg()[0] >= max_load:
        if time.monotonic() >= deadline:
            return False
        print(f"load average {os.getloadavg()[0]:.2f}: waiting for < {max_load}", flush=True)
        await asyncio.sleep(15)
    return True


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so that a SIGTERM cleans up as Ctrl-C does


async def main(argv: list[str]) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.max_load is not None and not await _quiet(args.max_load, args.wait):
        print(f"the load average stayed at or above {args.max_load}: nothing measured")
        return 3
    pin_load_generator()
    bench = Bench(args, datetime.now(UTC))
    load = bench.load_start
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    if load[0] >= 1.0:
        print("  the machine is busy: these numbers are distorted", flush=True)
    try:
        await bench.run()
    finally:
        bench.stack.close()
        path = bench.write()
    print()
    print(table(bench.rows))
    for note in bench.notes:
        print(f"note: {note}")
    print(f"\nraw results: {path}")
    if bench.errors:
        print(f"scenarios that failed to run: {', '.join(bench.errors)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
