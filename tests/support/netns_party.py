"""One party of a call, as a program a test runs inside a network namespace.

    ip netns exec NS python -m tests.support.netns_party visitor --server URL
    ip netns exec NS python -m tests.support.netns_party agent --server URL
    ip netns exec NS python -m tests.support.netns_party check --server URL

It prints one JSON object a line, for the test to read:

    {"event": "ready"}                                  logged in (an agent: available)
    {"event": "media", "pair": ["relay", "relay"], "audio_bytes": 4242, "offered": ["relay"]}
                                                        audio flows in; the selected pair;
                                                        the candidate types it offered
    {"event": "ended", "reason": "media_failed", "error": "MediaFailed", "message": "..."}

and, once its audio flows, reads lines on stdin: "end" makes it hang up, "quality" prints
what the server last said of the call's quality, per side (``call.quality`` events):

    {"event": "quality", "local": {"level": "poor", "mos": 2.9, ...}, "remote": {...}}

``check`` is a visitor that runs the check before the call at once and prints
``{"event": "check", "check": {...}, "seconds": 7.2}`` (what Client.check returned).
It uses only the Python client (no Django), like any bot would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from supportcall.client import Agent, Call, CallEnded, Options, Visitor
from supportcall.vocabulary import State

DEMO_PASSWORD = "demo-password"


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def read_line() -> str:
    return (await asyncio.to_thread(sys.stdin.readline)).strip()


async def follow(call: Call, timeout: float) -> None:
    """Report the media (or why there is none), then hang up when told, then the end."""
    try:
        await call.wait_for_state(State.IN_CALL, timeout=timeout)
        # Raises MediaFailed if the media never connects and the call ends for it.
        pair = await call.wait_for(lambda: call.candidate_pair, timeout, "a selected pair")
        received = await call.wait_for_media("audio", timeout=timeout)
        assert call.pc is not None
        offered = {line.split()[7] for line in call.pc.localDescription.sdp.splitlines()
                   if line.startswith("a=candidate:")}  # fmt: skip
        say(event="media", pair=list(pair), audio_bytes=received, offered=sorted(offered))
        ended = asyncio.ensure_future(call.wait_for_state(State.ENDED, timeout=None))
        while not ended.done():
            command = asyncio.ensure_future(read_line())
            await asyncio.wait({command, ended}, return_when=asyncio.FIRST_COMPLETED)
            if not command.done():
                command.cancel()
            elif command.result() == "quality":
                say(event="quality", **call.quality)
                continue
            elif command.result() == "end":
                await call.end()
            break
        ended.cancel()
        await call.wait_for_state(State.ENDED, timeout=timeout)
    except CallEnded as exc:
        say(event="ended", reason=exc.reason, error=type(exc).__name__, message=str(exc))
        return
    say(event="ended", reason=call.end_reason, error=None, message="")


async def run(args: argparse.Namespace) -> None:
    ice_servers = json.loads(args.ice_servers) if args.ice_servers else None
    options = Options(
        args.server, ice_servers=ice_servers, ice_transport_policy=args.policy, timeout=15,
        quality_interval=args.quality_interval,
    )  # fmt: skip
    if args.role == "check":
        async with Visitor(options, site="demo", display_name="Probe") as visitor:
            say(event="ready")
            started = time.monotonic()
            check = await visitor.check()
            say(event="check", check=check, seconds=round(time.monotonic() - started, 2))
    elif args.role == "visitor":
        async with Visitor(options, site="demo", display_name="Ada") as visitor:
            say(event="ready")
            await read_line()  # "call": the agent is ready
            await follow(await visitor.call(media="audio"), args.timeout)
    else:
        async with Agent(options, "alice", DEMO_PASSWORD) as agent:
            await agent.set_presence("available")
            say(event="ready")
            call = await agent.next_incoming(timeout=args.timeout)
            await call.accept()
            await follow(call, args.timeout)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.netns_party")
    parser.add_argument("role", choices=["visitor", "agent", "check"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--ice-servers", help="JSON iceServers instead of the server's")
    parser.add_argument("--policy", choices=["all", "relay"], help="instead of the server's")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--quality-interval", type=float, help="instead of the server's")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
