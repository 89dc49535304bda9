"""A bad setting stops start-up with a message that names it."""

import os
import subprocess
import sys

import pytest

from tests.support.servers import ROOT


def start(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPORTCALL_OP_TIMEOUT", "soon"),
        ("SUPPORTCALL_RING_TIMEOUT", "-5"),
        ("SUPPORTCALL_TOKEN_TTL", "0"),
        ("SUPPORTCALL_SWEEP_INTERVAL", "-1"),
        ("SUPPORTCALL_ICE_SERVERS", '{"urls": "stun:x"}'),
        ("SUPPORTCALL_ICE_SERVERS", "not json"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("REDIS_URL", "localhost:6379"),
        ("DEBUG", "maybe"),
        ("SUPPORTCALL_TRUSTED_PROXIES", "10.0.0.0/8,nginx"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(name, value):
    result = start(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr, result.stderr[-2000:]


def test_the_defaults_start():
    result = start()
    assert result.returncode == 0, result.stderr
