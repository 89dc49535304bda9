"""``python -m supportcall.client``: arguments, messages, exit codes, and both
commands running as real processes against the real server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from supportcall.client import Agent, Call, Visitor
from supportcall.client.cli import PASSWORD_ENV, build_parser, describe
from supportcall.vocabulary import Presence, Reason, State
from tests.support.recorder import Recorder
from tests.support.servers import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[2]


async def run_cli(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "supportcall.client", *args,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_help_lists_both_commands():
    code, out, _ = await run_cli("--help")

    assert code == 0
    assert "call" in out and "answer" in out


async def test_call_help_documents_every_option():
    code, out, _ = await run_cli("call", "--help")

    assert code == 0
    for option in ("--server", "--site", "--to", "--video", "--audio-single", "--name",
                   "--duration"):  # fmt: skip
        assert option in out


def test_call_places_an_audio_call_to_the_default_target_by_default():
    args = build_parser().parse_args(["call", "--server", "http://s", "--site", "demo"])

    assert (args.media, args.to, args.duration, args.context) == ("audio", None, 30.0, [])


@pytest.mark.parametrize(
    ("flag", "media"), [("--video", "video"), ("--audio-single", "audio_single")]
)
def test_call_media_flags(flag, media):
    args = build_parser().parse_args(["call", "--server", "s", "--site", "d", flag])

    assert args.media == media


def test_video_and_audio_single_cannot_be_combined(capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(
            ["call", "--server", "s", "--site", "d", "--video", "--audio-single"]
        )

    assert caught.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_context_is_key_value_pairs():
    args = build_parser().parse_args(
        ["call", "--server", "s", "--site", "d", "--context", "page=/pricing", "--context", "o=42"]
    )

    assert dict(args.context) == {"page": "/pricing", "o": "42"}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["call", "--server", "s", "--site", "d", "--context", "oops"])


def test_answer_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "from-env")

    args = build_parser().parse_args(["answer", "--server", "s", "--username", "alice"])

    assert (args.password, args.video) == ("from-env", False)


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([])

    assert caught.value.code == 2


def test_state_changes_are_described_for_people():
    line = describe(
        {"type": "call.state", "call_id": "abcdef123", "state": "ended", "previous": "in_call",
         "reason": "ended_by_remote"}
    )  # fmt: skip

    assert line == "call abcdef12 ended (was in_call): ended_by_remote"


async def test_an_unreachable_server_exits_1_with_a_clear_message(unused_tcp_port):
    code, _, err = await run_cli(
        "call", "--server", f"http://127.0.0.1:{unused_tcp_port}", "--site", "demo"
    )

    assert code == 1
    assert "server unreachable" in err and "Connection refused" in err


async def test_a_refused_login_exits_1_with_the_servers_message(server):
    code, _, err = await run_cli("call", "--server", server.url, "--site", "nope")

    assert code == 1
    assert "login refused" in err and "site 'nope' does not exist" in err


async def test_a_wrong_password_exits_1_with_the_servers_message(server):
    code, _, err = await run_cli(
        "answer", "--server", server.url, "--username", "alice", "--password", "bad"
    )

    assert code == 1
    assert "wrong username or password" in err


async def test_an_unanswered_call_exits_1_with_the_reason(server):
    code, out, _ = await run_cli("call", "--server", server.url, "--site", "demo")

    assert code == 1
    assert "not answered: no_agents" in out


async def cli_call_answered(server, *args: str) -> tuple[int, str, str, Call]:
    """``call`` with ``args``, answered by alice (who waits for its audio): the exit
    status, what it printed, and the call as alice saw it."""
    async with Agent(server.url, "alice", DEMO_PASSWORD) as agent:
        await agent.set_presence(Presence.AVAILABLE)

        async def answer() -> Call:
            incoming = await agent.next_incoming(timeout=20)
            await incoming.accept()
            await incoming.wait_for_media("audio", timeout=10)
            return incoming

        answering = asyncio.ensure_future(answer())
        code, out, err = await run_cli("call", "--server", server.url, "--site", "demo", *args)
        assert code == 0, out + err
        return code, out, err, await answering


async def test_call_command_talks_hangs_up_after_the_duration_and_exits_0(server):
    code, out, err, _ = await cli_call_answered(
        server, "--name", "Ada", "--duration", "1.5", "--stats-interval", "0.5"
    )

    assert code == 0, err
    assert "ringing" in out and "in_call" in out and "ended" in out
    assert "hanging up" in out
    received = [line for line in out.splitlines() if "received audio" in line]
    assert received and not received[-1].split("received audio ")[1].startswith("0 B")


async def test_answer_bot_answers_calls_until_interrupted(server):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "supportcall.client", "answer", "--server", server.url,
        "--username", "bob", "--stats-interval", "0.5",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, PASSWORD_ENV: DEMO_PASSWORD},
    )  # fmt: skip
    visitor = Visitor(server.url, site="demo", display_name="Ada")
    record = Recorder(visitor)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert b"available" in line
        await visitor.connect()
        call = await visitor.call(to="bob@support.example.com")
        await call.wait_for_state(State.IN_CALL, timeout=10)
        await call.wait_for_media("audio", timeout=10)
        await asyncio.sleep(0.7)
    finally:
        await visitor.close()
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 20)

    out = line.decode() + stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "from Ada" in out
    assert "in_call" in out
    assert "received audio" in out
    assert call.end_reason == Reason.ENDED_BY_LOCAL
    assert record.states(call) == ["initiated", "ringing", "in_call", "ended"]


def test_a_call_ended_media_failed_is_explained_in_plain_words():
    line = describe(
        {"type": "call.state", "call_id": "C" * 8, "state": "ended", "previous": "in_call",
         "reason": "media_failed"}
    )  # fmt: skip

    assert line is not None
    assert line.startswith("call CCCCCCCC ended (was in_call): media_failed (")
    assert "network blocks the call" in line


SIGNER = """
import sys, time, uuid
import jwt

now = int(time.time())
claims = {"aud": "demo", "sub": sys.argv[2], "iat": now, "exp": now + 300,
          "jti": uuid.uuid4().hex, "name": "Grace Hopper"}
print(jwt.encode(claims, sys.argv[1], algorithm="HS256"))
"""


async def test_call_with_an_identity_command_is_verified_by_what_it_prints(server, tmp_path):
    from tests.client.test_client_identity import ROTATE
    from tests.support.servers import django_shell

    secret = (await asyncio.to_thread(django_shell, server.env, ROTATE)).split()[-1]
    (tmp_path / "sign_visitor.py").write_text(SIGNER)
    signer = f"{sys.executable} {tmp_path / 'sign_visitor.py'} {secret} customer-7"
    _, _, _, answered = await cli_call_answered(
        server, "--identity-command", signer, "--duration", "1"
    )

    caller = answered.caller or {}
    assert caller["verified"]["name"] == "Grace Hopper"
    assert caller["verified"]["sub"] == "customer-7"


async def test_a_failing_identity_command_exits_1_with_what_it_said(server):
    failing = f"{sys.executable} -c \"import sys; sys.exit('no signing key here')\""
    code, _, err = await run_cli(
        "call", "--server", server.url, "--site", "demo", "--identity-command", failing
    )

    assert code == 1
    assert "the identity command failed: no signing key here" in err


async def test_an_identity_command_that_cannot_run_exits_1(server):
    code, _, err = await run_cli(
        "call", "--server", server.url, "--site", "demo",
        "--identity-command", "/nonexistent/signer",
    )  # fmt: skip

    assert code == 1
    assert "the identity command could not run" in err
