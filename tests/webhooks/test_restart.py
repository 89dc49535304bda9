"""A real daphne killed mid-delivery loses nothing: after a restart, every event arrives
(at least once, de-duplicated by its id), in order per call. On SQLite and PostgreSQL;
and two processes on PostgreSQL share one outbox without posting an event twice."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.support.receiver import Receiver
from tests.support.servers import (
    Server,
    base_env,
    django_shell,
    drop_postgres_database,
    postgres_database,
    prepare,
)

pytestmark = pytest.mark.e2e

SECRET = "whsec_test-restart"
QUICK = {
    "SUPPORTCALL_WEBHOOK_INTERVAL": "0.05",
    "SUPPORTCALL_WEBHOOK_TIMEOUT": "1",
    "SUPPORTCALL_WEBHOOK_RETRY": "0.05",
    "SUPPORTCALL_WEBHOOK_RETRY_MAX": "0.2",
}
# Calls' events, recorded in one transaction as Change.apply would.
RECORD = """
import json, uuid
from django.db import transaction
from supportcall.directory.models import Site
from supportcall.webhooks.models import Endpoint
from supportcall.webhooks.record import record
site = Site.objects.get(key="demo")
Endpoint.objects.create(site=site, url={url!r}, secret={secret!r})
calls = [uuid.uuid4() for _ in range({calls})]
with transaction.atomic():
    for name in ["call.created", "call.ringing", "call.answered", "call.ended"]:
        for call in calls:
            record(site.pk, name, {{"call": {{"id": str(call)}}}}, call_id=call)
print(json.dumps([str(c) for c in calls]))
"""
STATUSES = """
from supportcall.webhooks.models import Delivery
print(sorted(set(Delivery.objects.values_list("status", flat=True))))
"""


def statuses(env: dict[str, str]) -> str:
    return django_shell(env, STATUSES).strip().splitlines()[-1]


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request, tmp_path):
    if request.param == "sqlite":
        yield base_env(tmp_path, **QUICK)
        return
    database = postgres_database()
    yield base_env(tmp_path, DATABASE_URL=database, **QUICK)
    drop_postgres_database(database)


def first_arrivals(receiver: Receiver) -> dict[str, list[str]]:
    """Each call's event types in the order they first arrived (a re-sent one is a
    duplicate: same id)."""
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    for post in receiver.posts:
        if post.event["id"] not in seen:
            seen.add(post.event["id"])
            found.setdefault(post.event["data"]["call"]["id"], []).append(post.event["type"])
    return found


def test_a_server_killed_mid_delivery_loses_nothing_after_its_restart(env, tmp_path):
    receiver = Receiver().start()
    receiver.secret = SECRET
    receiver.gate.clear()  # the first posts hang until the server is dead
    prepare(env)
    printed = django_shell(env, RECORD.format(url=receiver.url, secret=SECRET, calls=2))
    first, second = json.loads(printed.strip().splitlines()[-1])
    server = Server(env, tmp_path).start()
    try:
        receiver.wait(lambda r: r.started == 2)  # each call's first event, on its way
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        receiver.gate.set()
        server = Server(env, tmp_path).start()
        receiver.wait(lambda r: len(set(r.ids())) == 8, timeout=30)
        expected = ["call.created", "call.ringing", "call.answered", "call.ended"]
        assert first_arrivals(receiver) == {first: expected, second: expected}
        assert all(post.signed for post in receiver.posts)
        for _ in range(50):  # the last answer may be on its way to the database
            if statuses(env) == "['delivered']":
                break
            time.sleep(0.2)
        assert statuses(env) == "['delivered']"
    finally:
        server.stop()
        receiver.stop()


def test_two_servers_on_postgresql_post_each_event_once_in_order_per_call(tmp_path):
    database = postgres_database()
    # A lease long enough that no post outlives it on a busy machine: none is sent again.
    env = base_env(
        tmp_path, DATABASE_URL=database, **{**QUICK, "SUPPORTCALL_WEBHOOK_TIMEOUT": "10"}
    )
    receiver = Receiver().start()
    receiver.secret = SECRET
    receiver.gate.clear()  # both servers' workers are up before anything is posted
    servers: list[Server] = []
    try:
        prepare(env)
        printed = django_shell(env, RECORD.format(url=receiver.url, secret=SECRET, calls=20))
        calls = json.loads(printed.strip().splitlines()[-1])
        servers = [Server(env, tmp_path).start(), Server(env, tmp_path).start()]
        receiver.gate.set()
        receiver.wait(lambda r: len(r.ids()) >= 80, timeout=30)
        expected = ["call.created", "call.ringing", "call.answered", "call.ended"]
        assert first_arrivals(receiver) == {call: expected for call in calls}
        assert len(receiver.ids()) == len(set(receiver.ids())) == 80  # none twice
        assert all(post.signed for post in receiver.posts)
    finally:
        for server in servers:
            server.stop()
        receiver.stop()
        drop_postgres_database(database)
