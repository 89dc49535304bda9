"""Retention run by several processes at once on PostgreSQL (the sweeper runs in every
process): each row is removed once, by one of them, and none waits on or fails for another."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.servers import (
    ROOT,
    base_env,
    django_shell,
    drop_postgres_database,
    manage,
    postgres_database,
)

CALLS = 300

SEED = f"""
from supportcall.directory.models import Site
from supportcall.directory.setup import ensure_agent, ensure_site
from tests.privacy.records import a_call
ensure_site("shop", ["http://shop.test"], ["support"])
ensure_agent("alice", "pw-alice-long-enough", ["support"])
for _ in range({CALLS}):
    a_call(ended_days_ago=2)
Site.objects.filter(key="shop").update(keep_chat_days=1, keep_sdp_days=1)
"""

LEFT = """
from supportcall.calls.models import Call, ChatMessage
print(ChatMessage.objects.count(), Call.objects.exclude(offer_sdp="").count(), Call.objects.count())
"""


@pytest.fixture
def database(tmp_path):
    url = postgres_database()
    env = base_env(tmp_path, DATABASE_URL=url, SUPPORTCALL_RETENTION_BATCH="5")
    try:
        manage(env, "migrate", "--noinput")
        django_shell(env, SEED)
        yield env
    finally:
        drop_postgres_database(url)


def test_two_processes_applying_retention_at_once_remove_each_row_once(database):
    command = [sys.executable, "manage.py", "retention", "--site", "shop"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=database, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    removed = {"chat": 0, "sdp": 0}
    for output in outputs:
        for kind, count in re.findall(r"(chat|sdp) (\d+)", output):
            removed[kind] += int(count)
    assert removed == {"chat": CALLS, "sdp": CALLS}
    assert django_shell(database, LEFT).splitlines()[-1].split() == ["0", "0", str(CALLS)]
