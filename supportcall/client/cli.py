"""``python -m supportcall.client``: place a call, or answer calls as a bot.

::

    python -m supportcall.client call --server http://127.0.0.1:8000 --site demo --duration 20
    python -m supportcall.client call --server http://127.0.0.1:8000 --site shop \\
        --identity-command "python sign_visitor.py customer-42"
    python -m supportcall.client answer --server http://127.0.0.1:8000 --username alice

Both print every state change and, every few seconds, the media received.
Exit status: 0 when all went well (``call``: the call was answered), 1 on a
failure (login refused, server unreachable, call not answered), 2 on bad
arguments, 130 when interrupted before the call was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..vocabulary import CONNECTED_STATES, Media, Presence, Reason
from .errors import (
    CallError,
    LoginError,
    OperationFailed,
    ServerUnreachable,
    SignalingClosed,
    SupportCallError,
)
from .options import Options
from .session import Agent, Call, Visitor

PROG = "python -m supportcall.client"
PASSWORD_ENV = "SUPPORTCALL_PASSWORD"


def _context_item(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="supportcall's Python client: real WebRTC calls from a terminal."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    call = commands.add_parser(
        "call",
        help="call support as an anonymous visitor",
        description="Place a call with a test tone; hang up after --duration or on Ctrl-C.",
    )
    call.add_argument("--server", required=True, help="server base URL, e.g. http://127.0.0.1:8000")
    call.add_argument("--site", required=True, help="the site key to log in with")
    call.add_argument("--to", help="address to call (default: the site's first target)")
    kind = call.add_mutually_exclusive_group()
    kind.add_argument(
        "--video", dest="media", action="store_const", const=Media.VIDEO, help="audio and video"
    )
    kind.add_argument(
        "--audio-single",
        dest="media",
        action="store_const",
        const=Media.AUDIO_SINGLE,
        help="a single audio m-line (video can never start)",
    )
    call.set_defaults(media=Media.AUDIO)
    call.add_argument("--name", help="display name shown to the agent")
    call.add_argument(
        "--context",
        type=_context_item,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context shown to the agent (repeatable)",
    )
    call.add_argument(
        "--identity-command",
        metavar="COMMAND",
        help="call as a verified visitor: run COMMAND before each login; it prints an "
        "identity token the site's backend signed (see the README's Verified visitors)",
    )
    call.add_argument(
        "--duration",
        type=_positive,
        default=30.0,
        metavar="SECONDS",
        help="hang up this long after the call is answered (default 30)",
    )
    call.add_argument(
        "--tone",
        type=_positive,
        default=440.0,
        metavar="HZ",
        help="frequency of the test tone (default 440)",
    )
    _common(call)

    answer = commands.add_parser(
        "answer",
        help="an agent bot that answers every call",
        description="Stay connected as an agent and answer every incoming call with a "
        "test tone, until Ctrl-C.",
    )
    answer.add_argument("--server", required=True, help="server base URL")
    answer.add_argument("--username", required=True)
    answer.add_argument(
        "--password",
        default=os.environ.get(PASSWORD_ENV),
        help=f"the agent's password (default: ${PASSWORD_ENV})",
    )
    answer.add_argument(
        "--video", action="store_true", help="also send video when the caller offered video"
    )
    answer.add_argument(
        "--tone",
        type=_positive,
        default=660.0,
        metavar="HZ",
        help="frequency of the test tone (default 660)",
    )
    _common(answer)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stats-interval",
        type=_positive,
        default=5.0,
        metavar="SECONDS",
        help="print media statistics this often (default 5)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for each server answer (default 10)",
    )


def say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def describe(event: dict[str, Any]) -> str | None:
    """One line for the events a person wants to see, ``None`` for the rest."""
    call = str(event.get("call_id", ""))[:8]
    kind = event.get("type")
    if kind == "call.state":
        text = f"call {call} {event.get('state')}"
        if event.get("previous"):
            text += f" (was {event['previous']})"
        if event.get("reason"):
            text += f": {event['reason']}"
        if event.get("reason") == Reason.MEDIA_FAILED:
            text += f" ({MEDIA_FAILED_WORDS})"
        return text
    if kind == "call.media":
        return f"call {call} remote sends: muted={event.get('muted')} video={event.get('video')}"
    if kind == "queue.position":
        return (
            f"call {call} queued at position {event.get('position')}, "
            f"about {event.get('estimated_wait_s')}s"
        )
    if kind == "op.result" and not event.get("ok"):
        why = f"{event.get('code')} {event.get('message') or ''}".strip()
        return f"call {call} {event.get('op')} failed: {why}"
    if kind == "call.offer":
        return f"call {call} remote {event.get('op')}"
    return None


MEDIA_FAILED_WORDS = (
    "the network blocks the call: no media could get through, not even through the TURN relay"
)


def _print_event(event: dict[str, Any]) -> None:
    line = describe(event)
    if line:
        say(line)


async def print_stats(call: Call) -> None:
    received = await call.inbound_bytes()
    frames = call.frames_received
    pair = call.candidate_pair
    path = f", over {pair[0]}/{pair[1]}" if pair else ""
    say(
        f"call {call.call_id[:8]} received audio {received['audio']} B ({frames['audio']} frames), "
        f"video {received['video']} B ({frames['video']} frames){path}"
    )


async def _sleep_until(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def options(args: argparse.Namespace) -> Options:
    return Options(args.server, timeout=args.timeout, tone_hz=args.tone)


def identity_token_maker(command: str) -> Callable[[], str]:
    """What ``--identity-command`` runs before each login: its output, stripped, is the token."""

    def make() -> str:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SupportCallError(f"the identity command could not run: {exc}") from exc
        if done.returncode != 0 or not done.stdout.strip():
            why = done.stderr.strip() or f"exit status {done.returncode}, no token printed"
            raise SupportCallError(f"the identity command failed: {why}")
        return done.stdout.strip()

    return make


async def run_call(args: argparse.Namespace, stop: asyncio.Event) -> int:
    identity = identity_token_maker(args.identity_command) if args.identity_command else None
    visitor = Visitor(options(args), args.site, args.name, dict(args.context) or None, identity)
    visitor.on("event", _print_event)
    try:
        await visitor.connect()
        say(f"connected as {visitor.identity}")
        call = await visitor.call(to=args.to, media=args.media)
        say(f"calling {call.to} ({args.media}), call {call.call_id}")
        answered_at: float | None = None
        next_stats = 0.0
        while not stop.is_set() and not call.ended:
            now = time.monotonic()
            if answered_at is None and call.state in CONNECTED_STATES:
                answered_at = now
                next_stats = now + args.stats_interval
            if answered_at is not None:
                if now - answered_at >= args.duration:
                    say("hanging up")
                    await call.end()
                    break
                if now >= next_stats:
                    await print_stats(call)
                    next_stats = now + args.stats_interval
            await _sleep_until(stop, 0.1)
        if call.ended and answered_at is None:
            say(f"the call was not answered: {call.end_reason}")
            return 1
        if call.end_reason == Reason.MEDIA_FAILED:
            print(f"error: {MEDIA_FAILED_WORDS}", file=sys.stderr, flush=True)
            return 1
        if answered_at is not None:
            await print_stats(call)
        if stop.is_set() and answered_at is None:
            return 130
        return 0
    finally:
        await visitor.close()


async def run_answer(args: argparse.Namespace, stop: asyncio.Event) -> int:
    if not args.password:
        raise SupportCallError(f"no password: use --password or set ${PASSWORD_ENV}")
    agent = Agent(options(args), args.username, args.password)
    agent.on("event", _print_event)
    handlers: set[asyncio.Task[None]] = set()
    try:
        await agent.connect()
        await agent.set_presence(Presence.AVAILABLE)
        say(f"connected as {agent.identity}, available; Ctrl-C to stop")
        while not stop.is_set():
            try:
                call = await agent.next_incoming(timeout=0.5)
            except TimeoutError:
                continue
            task = asyncio.create_task(_answer(call, args, stop))
            handlers.add(task)
            task.add_done_callback(handlers.discard)
        return 0
    finally:
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await agent.close()


async def _answer(call: Call, args: argparse.Namespace, stop: asyncio.Event) -> None:
    caller = call.caller or {}
    say(
        f"call {call.call_id[:8]} from {caller.get('display_name') or caller.get('address')} "
        f"to {call.to} ({call.media}) context {caller.get('context') or {}}"
    )
    try:
        await call.accept(video=bool(args.video and call.media == Media.VIDEO))
        while not call.ended and not stop.is_set():
            await _sleep_until(stop, args.stats_interval)
            if not call.ended:
                await print_stats(call)
    except OperationFailed as exc:
        say(f"call {call.call_id[:8]} {exc.op} failed: {exc.code} {exc.message}".rstrip())
    except (SupportCallError, TimeoutError) as exc:
        say(f"call {call.call_id[:8]}: {exc}")


def error_message(exc: BaseException, server: str | None = None) -> str:
    if isinstance(exc, LoginError):
        return f"login refused by {server}: {exc.message} ({exc.status} {exc.code})"
    if isinstance(exc, ServerUnreachable):
        return f"server unreachable: {exc}"
    if isinstance(exc, SignalingClosed):
        return f"the server closed the connection (code {exc.code}) {exc.reason}".rstrip()
    if isinstance(exc, CallError):
        return f"the server refused: {exc.code}: {exc.message}"
    if isinstance(exc, TimeoutError):
        return f"timed out: {exc}"
    return str(exc)


async def _main(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    runner = run_call if args.command == "call" else run_answer
    try:
        return await runner(args, stop)
    except (SupportCallError, TimeoutError) as exc:
        print(f"error: {error_message(exc, args.server)}", file=sys.stderr, flush=True)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(_main(args))
