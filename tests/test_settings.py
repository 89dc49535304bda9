"""A bad setting stops start-up with a message that names it."""

import os
import stat
import subprocess
import sys

import pytest
from django.core import signing

from supportcall.tokens.keys import DEVELOPMENT_SECRET_KEY
from tests.support.servers import ROOT


def start(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    """``manage.py check`` (or another command) with these variables; None unsets one."""
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportcall.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ["check"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={name: value for name, value in environ.items() if value is not None},
        timeout=60,
    )


@pytest.fixture
def no_key_file(tmp_path):
    """A key file with nothing in it: the checkout's own .secret_key is not read."""
    path = tmp_path / "empty-key"
    path.write_text("")
    return str(path)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPORTCALL_OP_TIMEOUT", "soon"),
        ("SUPPORTCALL_RING_TIMEOUT", "-5"),
        ("SUPPORTCALL_TRANSFER_TIMEOUT", "0"),
        ("SUPPORTCALL_TRANSFER_TIMEOUT", "601"),
        ("SUPPORTCALL_TOKEN_TTL", "0"),
        ("SUPPORTCALL_SWEEP_INTERVAL", "-1"),
        ("SUPPORTCALL_ICE_SERVERS", '{"urls": "stun:x"}'),
        ("SUPPORTCALL_ICE_SERVERS", "not json"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("REDIS_URL", "localhost:6379"),
        ("DEBUG", "maybe"),
        ("SUPPORTCALL_TRUSTED_PROXIES", "10.0.0.0/8,nginx"),
        ("SUPPORTCALL_MAX_SDP", "0"),
        ("SUPPORTCALL_CONTEXT_FIELDS", "many"),
        ("SUPPORTCALL_HTTP_HEADER_TIMEOUT", "-1"),
        ("SUPPORTCALL_VISITOR_CALLS", "0"),
        ("SUPPORTCALL_WS_UNSENT", "lots"),
        ("SUPPORTCALL_IDENTITY_LEEWAY", "3600"),
        ("SUPPORTCALL_IDENTITY_MAX_LIFETIME", "0"),
        ("SUPPORTCALL_WRAP_UP_DEFAULT", "soon"),
        ("SUPPORTCALL_WRAP_UP_DEFAULT", "-1"),
        ("SUPPORTCALL_WRAP_UP_DEFAULT", "601"),  # over SUPPORTCALL_WRAP_UP_MAX
        ("SUPPORTCALL_WRAP_UP_MAX", "0"),
        ("SUPPORTCALL_RATING_WINDOW", "3601"),  # over an hour
        ("SUPPORTCALL_RATING_COMMENT", "0"),
        ("SUPPORTCALL_UPLOAD_MAX_BYTES", str(100 * 1024 * 1024 + 1)),  # over 100 MiB
        ("SUPPORTCALL_UPLOAD_TOKEN_TTL", "0"),
        ("SUPPORTCALL_FILE_LINK_TTL", "-1"),
        ("SUPPORTCALL_CHAT_FILES", "none"),
        ("SUPPORTCALL_WRAP_UP_NOTES", "0"),
        ("SUPPORTCALL_WEBHOOK_INTERVAL", "-1"),
        ("SUPPORTCALL_WEBHOOK_TIMEOUT", "0"),
        ("SUPPORTCALL_WEBHOOK_RETRY", "soon"),
        ("SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS", "0"),
        ("SUPPORTCALL_WEBHOOK_BATCH", "-3"),
        ("SUPPORTCALL_API_PAGE_SIZE", "0"),
        ("SUPPORTCALL_API_PAGE_SIZE", "201"),  # over SUPPORTCALL_API_PAGE_SIZE_MAX
        ("SUPPORTCALL_API_PAGE_SIZE_MAX", "1001"),
        ("SUPPORTCALL_API_RATE", "fast"),
        ("SUPPORTCALL_API_KEY_USE_INTERVAL", "0"),
        ("SUPPORTCALL_SCREEN_ASK_INTERVAL", "0"),
        ("SUPPORTCALL_SCREEN_ASK_INTERVAL", "soon"),
        ("SUPPORTCALL_SCREEN_ASK_INTERVAL", "3601"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(name, value):
    result = start(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr, result.stderr[-2000:]


def test_the_defaults_start():
    result = start()
    assert result.returncode == 0, result.stderr


def test_the_published_development_key_stops_start_up():
    result = start(SECRET_KEY=DEVELOPMENT_SECRET_KEY)
    assert result.returncode != 0
    assert "Bad setting SECRET_KEY" in result.stderr, result.stderr[-2000:]


def test_no_key_stops_start_up(no_key_file):
    result = start(SECRET_KEY=None, SECRET_KEY_FILE=no_key_file)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr, result.stderr[-2000:]


def test_a_development_key_among_the_fallbacks_stops_start_up():
    result = start(SECRET_KEY_FALLBACKS=f"old-random-key-0123456789,{DEVELOPMENT_SECRET_KEY}")
    assert result.returncode != 0
    assert "Bad setting SECRET_KEY_FALLBACKS" in result.stderr, result.stderr[-2000:]


def test_development_mode_starts_with_the_development_key_and_check_deploy_says_so(no_key_file):
    dev = {"SUPPORTCALL_DEV": "1", "SECRET_KEY": None, "SECRET_KEY_FILE": no_key_file}
    assert start(**dev).returncode == 0
    deploy = start("check", "--deploy", **dev)
    assert deploy.returncode != 0
    assert "supportcall.E001" in deploy.stderr and "supportcall.W001" in deploy.stderr


def test_a_fallback_key_still_verifies_what_the_old_key_signed():
    old, new = "old-" + "k" * 50, "new-" + "n" * 50
    signed = signing.dumps({"jti": "x"}, key=old, salt="rotation")
    code = f"from django.core import signing; print(signing.loads({signed!r}, salt='rotation'))"
    rotated = start("shell", "--no-imports", "-c", code, SECRET_KEY=new, SECRET_KEY_FALLBACKS=old)
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    assert rotated.stdout.strip() == "{'jti': 'x'}"
    assert start("shell", "--no-imports", "-c", code, SECRET_KEY=new).returncode != 0


def test_make_run_makes_a_random_key_once_and_the_server_reads_it(tmp_path):
    def make_key() -> str:
        make = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), ".secret_key"]
        subprocess.run(make, cwd=tmp_path, check=True, capture_output=True, timeout=60)
        return (tmp_path / ".secret_key").read_text().strip()

    key = make_key()
    assert len(key) >= 50 and key != DEVELOPMENT_SECRET_KEY
    assert stat.S_IMODE((tmp_path / ".secret_key").stat().st_mode) == 0o600
    assert make_key() == key  # made once, then kept
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    served = start(
        "shell",
        "--no-imports",
        "-c",
        code,
        SECRET_KEY=None,
        SECRET_KEY_FILE=str(tmp_path / ".secret_key"),
    )
    assert served.stdout.strip() == key, served.stderr[-2000:]
    ignored = subprocess.run(["git", "check-ignore", "-q", ".secret_key"], cwd=ROOT)
    assert ignored.returncode == 0, ".secret_key must never be committed"


TURN_SECRET = "9c4e1b7a2f6d08355e0c1d2b9a8f7e6d"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"SUPPORTCALL_TURN_SECRET": "too-short", "SUPPORTCALL_TURN_URLS": "turn:t"},
            "SUPPORTCALL_TURN_SECRET",
        ),
        (
            {"SUPPORTCALL_TURN_SECRET": "a" * 40, "SUPPORTCALL_TURN_URLS": "turn:t"},
            "SUPPORTCALL_TURN_SECRET",
        ),
        ({"SUPPORTCALL_TURN_URLS": "turn:t:3478"}, "SUPPORTCALL_TURN_SECRET"),
        ({"SUPPORTCALL_TURN_SECRET": TURN_SECRET}, "SUPPORTCALL_TURN_URLS"),
        (
            {"SUPPORTCALL_TURN_SECRET": TURN_SECRET, "SUPPORTCALL_TURN_URLS": "http://t"},
            "SUPPORTCALL_TURN_URLS",
        ),
        ({"SUPPORTCALL_TURN_TTL": "10"}, "SUPPORTCALL_TURN_TTL"),
        ({"SUPPORTCALL_TURN_TTL": "9999999"}, "SUPPORTCALL_TURN_TTL"),
        ({"SUPPORTCALL_ICE_TRANSPORT_POLICY": "none"}, "SUPPORTCALL_ICE_TRANSPORT_POLICY"),
        ({"SUPPORTCALL_ICE_TRANSPORT_POLICY": "relay"}, "SUPPORTCALL_ICE_TRANSPORT_POLICY"),
        ({"SUPPORTCALL_MEDIA_TIMEOUT": "0"}, "SUPPORTCALL_MEDIA_TIMEOUT"),
        ({"SUPPORTCALL_MEDIA_TIMEOUT": "500"}, "SUPPORTCALL_MEDIA_TIMEOUT"),
    ],
)
def test_a_bad_turn_setting_stops_start_up_naming_it(env, named):
    result = start(**env)
    assert result.returncode != 0
    assert named in result.stderr, result.stderr[-2000:]


def test_coturn_with_its_secret_and_the_relay_policy_start():
    result = start(
        SUPPORTCALL_TURN_SECRET=TURN_SECRET,
        SUPPORTCALL_TURN_URLS="turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp",
        SUPPORTCALL_ICE_TRANSPORT_POLICY="relay",
    )
    assert result.returncode == 0, result.stderr
