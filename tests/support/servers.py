"""Real daphne servers for end-to-end tests, on SQLite or on PostgreSQL and Redis.

A test that needs PostgreSQL or Redis and cannot reach them skips with a loud
reason on a laptop, and fails in CI (CI=true), where they must be there.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
DEMO_PASSWORD = "demo-password"
# Short deadlines so that tests of timeouts are quick; the sweeper runs often.
TEST_ENV = {
    "SUPPORTCALL_SWEEP_INTERVAL": "0.2",
    "SUPPORTCALL_OP_TIMEOUT": "3",
    "SUPPORTCALL_RING_TIMEOUT": "20",
    "SUPPORTCALL_LOGIN_RATE": "10000",
    "SUPPORTCALL_SITE_LOGIN_RATE": "10000",
    "SUPPORTCALL_DOMAIN": "support.example.com",
}


def need(service: str, reachable: bool, how: str) -> None:
    """Skip loudly without a service on a laptop; fail in CI, where it must be there."""
    if reachable:
        return
    message = f"{service} is not reachable ({how}); this test needs the real thing"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI must run it", pytrace=False)
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def django_shell(env: dict[str, str], code: str) -> str:
    """Run Python in a server's Django (its database), as an operator would; what it printed.

    As `manage.py shell -c`, in a process that stays for the next code on the same
    settings: starting Django takes about 2 s, and tests run hundreds of these.
    """
    return _Shell.of(env).run(code)


def command(env: dict[str, str], *args: str) -> str:
    """A management command (as `manage.py ...`), run by django_shell's process."""
    return django_shell(
        env, f"from django.core.management import call_command; call_command(*{args!r})"
    )


# Reads one JSON-encoded piece of code per line, runs it in a namespace of its own
# with a fresh database connection, and answers one JSON line: whether it raised, and
# what it printed (or its traceback).
_SHELL_LOOP = """
import contextlib, io, json, sys, traceback
import django
django.setup()
from django.db import connections
answers = sys.stdout
for line in sys.stdin:
    printed = io.StringIO()
    ok = True
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(json.loads(line), "<django_shell>", "exec"), {"__name__": "__main__"})
    except Exception:
        ok = False
        printed.write(traceback.format_exc())
    finally:
        connections.close_all()
    answers.write(json.dumps({"ok": ok, "printed": printed.getvalue()}) + "\\n")
    answers.flush()
"""


class _Shell:
    """A Django process running code it is sent (django_shell), one per set of settings."""

    KEEP = 4  # at most this many alive; the least recently used goes first
    alive: dict[tuple[tuple[str, str], ...], _Shell] = {}

    @classmethod
    def of(cls, env: dict[str, str]) -> _Shell:
        key = tuple(sorted(env.items()))
        shell = cls.alive.pop(key, None)
        if shell is None or shell.process.poll() is not None:
            shell = cls(env)
        cls.alive[key] = shell
        while len(cls.alive) > cls.KEEP:
            cls.alive.pop(next(iter(cls.alive))).close()
        return shell

    def __init__(self, env: dict[str, str]):
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SHELL_LOOP],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self.close)

    def run(self, code: str) -> str:
        with self.lock:
            assert self.process.stdin and self.process.stdout
            self.process.stdin.write(json.dumps(code) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Django shell exited ({self.process.wait()}) running:\n{code}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"Django shell code failed:\n{code}\n{answer['printed']}")
        return answer["printed"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Server:
    """One daphne process serving supportcall on 127.0.0.1 (or ``host``: a test network's)."""

    def __init__(self, env: dict[str, str], log_dir: Path, host: str = "127.0.0.1"):
        self.env, self.host, self.port = env, host, free_port()
        self.url = f"http://{host}:{self.port}"
        self.log_path = log_dir / f"daphne-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                self.host,
                "-p",
                str(self.port),
                "supportcall.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited:\n{self.log()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not become healthy:\n{self.log()}")

    def stop(self) -> None:
        terminate(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def terminate(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 10 s; nothing if it already exited."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(TEST_ENV)
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "supportcall.settings"
    # Its own static files: whitenoise indexes them at start, and other test runs
    # collecting into a shared folder meanwhile could stall its downloads.
    env["STATIC_ROOT"] = str(tmp / "static")
    env["MEDIA_ROOT"] = str(tmp / "media")  # the files sent in chats
    env.update(extra)
    return env


def prepare(env: dict[str, str]) -> None:
    """What `make run` does before serving: the schema, the static files, the demo data.

    The three commands take about 12 s: they run once per test process and engine,
    into a template that each server's database and static folder are copied from.
    """
    static = _template("static")
    shutil.copytree(static, env["STATIC_ROOT"], dirs_exist_ok=True)
    database = env["DATABASE_URL"]
    if database.startswith("sqlite:///"):
        source = sqlite3.connect(_template("sqlite"))
        copy = sqlite3.connect(database.removeprefix("sqlite:///"))
        source.backup(copy)
        source.close()
        copy.close()
        return
    import psycopg

    template = _template("postgresql").rsplit("/", 1)[1]
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # as postgres_database() made it: empty
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


_TEMPLATES: dict[str, str] = {}  # what prepare() copies from, made by its first call


def _template(kind: str) -> str:
    """A prepared SQLite file, PostgreSQL database (its URL) or static folder."""
    if kind in _TEMPLATES:
        return _TEMPLATES[kind]
    folder = Path(tempfile.mkdtemp(prefix="supportcall-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = base_env(folder)  # the test defaults: the commands read no other setting
    if kind == "static":
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        made = env["STATIC_ROOT"]
    elif kind == "sqlite":
        made = env["DATABASE_URL"].removeprefix("sqlite:///")
    else:
        env["DATABASE_URL"] = made = postgres_database()
        atexit.register(drop_postgres_database, made)
    if kind != "static":
        manage(env, "migrate", "--noinput")
        manage(env, "demo_data", "--password", DEMO_PASSWORD)
    _TEMPLATES[kind] = made
    return made


def postgres_database() -> str:
    """A fresh, empty PostgreSQL database for this test session; its URL."""
    import psycopg

    need("PostgreSQL", _port_open("127.0.0.1", 5432), POSTGRES_URL)
    name = f"supportcall_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_url() -> str:
    """The test Redis; each test session separates its channels with its own prefix."""
    need("Redis", _port_open("127.0.0.1", 6379), REDIS_URL)
    return REDIS_URL
