"""The processes under test: daphne (the product or the minimal consumer) and the raw
relay, each pinned to the server core, on 127.0.0.1 only; their databases and Redis keys.

Everything here is torn down by `Stack.close()`, whatever happened in between.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SERVER_CORE = 0
LOAD_CORE = 1
PASSWORD = "bench-password"
DOMAIN = "support.example.com"
# What the product needs to be measured rather than throttled: logins and frames are
# rate-limited to protect a real deployment, which a benchmark is not.
PRODUCT_ENV = {
    "SUPPORTCALL_LOGIN_RATE": "10000000",
    "SUPPORTCALL_SITE_LOGIN_RATE": "10000000",
    "SUPPORTCALL_WS_RATE": "1000000",
    "SUPPORTCALL_WS_BACKLOG": "100000",
    "SUPPORTCALL_SITE_CALLS": "100000",
    "SUPPORTCALL_QUEUE_WAITING": "100000",
    # The idle scenario logs 5,000 visitors in before any connects (bench/scenarios.py).
    "SUPPORTCALL_TOKEN_TTL": "900",
    "SUPPORTCALL_DOMAIN": DOMAIN,
    # The bench's agents answer the next call at once: after-call work would measure
    # the agents' pauses, not the server.
    "SUPPORTCALL_WRAP_UP_DEFAULT": "off",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_load_generator() -> None:
    """This process (the load) on its own core, away from the server's."""
    if LOAD_CORE in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {LOAD_CORE})
    raise_nofile()


def raise_nofile() -> int:
    """As many file descriptors as the hard limit allows (thousands of WebSockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Config:
    """One server configuration: where its data lives."""

    name: str  # "embedded" or "postgres+redis"
    database_url: str
    redis_url: str = ""
    channel_prefix: str = ""

    @property
    def redis(self) -> bool:
        return bool(self.redis_url)


class Databases:
    """A fresh PostgreSQL database per server started, dropped at the end."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self) -> str:
        import psycopg

        name = f"supportcall_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


class Process:
    """A server process on the server core; its log goes to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, port: int):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}-{port}.log"
        self.popen: subprocess.Popen | None = None

    def start(self, ready_path: str = "/api/v1/health", timeout: float = 60) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            ["taskset", "-c", str(SERVER_CORE), *self.argv],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            try:
                if requests.get(self.url + ready_path, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer {ready_path}:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def errors(self) -> list[str]:
        """The ERROR lines of its log (each unhandled exception is one, its traceback follows)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line[:40]]


def cpu_seconds(pid: int) -> float:
    """User plus system time the process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory (/proc/<pid>/status VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def open_files(pid: int, path: str) -> int:
    """How many of the process's descriptors are open on this file."""
    target = os.path.realpath(path)
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            if os.readlink(fd) == target:
                count += 1
    return count


class Stack:
    """Everything a bench run starts: servers, databases, Redis keys, a scratch folder."""

    def __init__(self, postgres_url: str, redis_url: str, log_dir: Path, keep: bool = False):
        self.tmp = Path(tempfile.mkdtemp(prefix="supportcall-bench-"))
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.databases = Databases(postgres_url)
        self.redis_url = redis_url
        self.prefix = f"bench{secrets.token_hex(4)}"
        self.secret_key = "bench-" + secrets.token_urlsafe(40)
        self.processes: list[Process] = []
        self.keep = keep

    # -- configurations -------------------------------------------------------

    def embedded(self) -> Config:
        path = self.tmp / f"db-{uuid.uuid4().hex[:8]}.sqlite3"
        return Config("embedded", f"sqlite:///{path}")

    def postgres_redis(self) -> Config:
        # A prefix per server under the run's own: what one server leaves is told apart
        # from another's, and the run's prefix still sweeps them all at the end.
        prefix = f"{self.prefix}-{uuid.uuid4().hex[:6]}-"
        return Config("postgres+redis", self.databases.create(), self.redis_url, prefix)

    def product_env(self, config: Config, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SUPPORTCALL_") and k not in ("DATABASE_URL", "REDIS_URL")
        }
        env.update(PRODUCT_ENV)
        env["SECRET_KEY"] = self.secret_key
        env["DJANGO_SETTINGS_MODULE"] = "supportcall.settings"
        env["DATABASE_URL"] = config.database_url
        env["STATIC_ROOT"] = str(self.tmp / "static")
        if config.redis:
            env["REDIS_URL"] = config.redis_url
            env["SUPPORTCALL_CHANNEL_PREFIX"] = config.channel_prefix
        env.update(extra)
        return env

    # -- processes ------------------------------------------------------------

    def manage(self, env: dict[str, str], *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def product(self, config: Config, agents: int, max_calls: int = 1, **extra: str) -> Process:
        """A migrated product with the demo site and `agents` agents (bench-0, ...) in its
        queue, served by one daphne."""
        env = self.product_env(config, **extra)
        self.manage(env, "migrate", "--noinput")
        self.manage(env, "demo_data", "--password", PASSWORD)
        # One Django start for all the agents: create_agent's service, in a loop.
        self.manage(
            env,
            "shell",
            "-c",
            "from supportcall.directory.setup import ensure_agent\n"
            "from supportcall.directory.models import Agent\n"
            f"for i in range({agents}):\n"
            f"    ensure_agent(f'bench-{{i}}', {PASSWORD!r}, ['support'], f'Bench {{i}}')\n"
            f"Agent.objects.filter(user__username__startswith='bench-')"
            f".update(max_calls={max_calls})\n",
        )
        return self._daphne("product", "supportcall.asgi:application", env)

    def minimal(self, config: Config, ping_interval: float | None = None) -> Process:
        """The floor: a minimal Channels consumer on daphne, on the same channel layer,
        telling its clients to ping every ``ping_interval`` (the product's)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTCALL_")}
        env["BENCH_PING_INTERVAL"] = str(ping_interval or "")
        env["DJANGO_SETTINGS_MODULE"] = "bench.minimal.settings"
        env["BENCH_SECRET_KEY"] = self.secret_key
        env["BENCH_REDIS_URL"] = config.redis_url
        env["BENCH_CHANNEL_PREFIX"] = f"{self.prefix}-min-{uuid.uuid4().hex[:6]}-"
        return self._daphne("minimal", "bench.minimal.asgi:application", env, ready="/health")

    def raw(self) -> Process:
        """The floor: a relay written directly on websockets."""
        port = free_port()
        process = Process(
            "raw",
            [sys.executable, "-m", "bench.raw", "--port", str(port)],
            dict(os.environ),
            self.log_dir,
            port,
        )
        self.processes.append(process)
        return process.start(ready_path="/health")

    def _daphne(self, name: str, app: str, env: dict[str, str], ready: str = "") -> Process:
        port = free_port()
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]
        process = Process(name, argv, env, self.log_dir, port)
        self.processes.append(process)
        return process.start(ready_path=ready or "/api/v1/health")

    def stop_all(self) -> None:
        for process in self.processes:
            with suppress(Exception):
                process.stop()

    # -- Redis ----------------------------------------------------------------

    def redis_keys(self, prefix: str | None = None) -> list[str]:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            pattern = (prefix or self.prefix) + "*"
            return [k.decode() for k in client.scan_iter(match=pattern, count=1000)]
        finally:
            client.close()

    def clean_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=self.prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def close(self) -> None:
        for process in self.processes:
            with suppress(Exception):
                process.stop()
        with suppress(Exception):
            self.databases.drop_all()
        with suppress(Exception):
            self.clean_redis()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
