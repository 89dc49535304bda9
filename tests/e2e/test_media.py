"""Real calls: a daphne server started by the test, aiortc peers from supportcall.client."""

from __future__ import annotations

import contextlib

import pytest

from supportcall.client import Agent, OperationFailed, Visitor
from supportcall.vocabulary import ErrorCode, Presence
from tests.support.recorder import record
from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

SUPPORT = "support@support.example.com"


def states(call) -> list[str]:
    return record(call.client).states(call)


@contextlib.asynccontextmanager
async def clients(server, *agents: str, **visitor_kw):
    """Connected agents (in order) and a visitor, each with a recorder; all closed at the end."""
    opened = []
    try:
        for name in agents:
            agent = Agent(server.url, name, DEMO_PASSWORD)
            record(agent)
            await agent.connect()
            opened.append(agent)
        visitor = Visitor(server.url, "demo", **visitor_kw)
        record(visitor)
        await visitor.connect()
        opened.append(visitor)
        yield opened
    finally:
        for client in reversed(opened):
            await client.close()


async def connected(visitor, agent, media="audio", video=False):
    call = await visitor.call(media=media)
    incoming = await agent.next_incoming(timeout=10)
    assert incoming.call_id == call.call_id
    await incoming.accept(video=video)
    await call.wait_for_state("in_call", timeout=10)
    return call, incoming


async def both_flow(*calls, kind="audio", flowing=True):
    for call in calls:
        await call.wait_for_media(kind, flowing=flowing, timeout=10, window=1.0)


async def test_audio_frames_arrive_on_both_sides(server):
    async with clients(server, "alice", display_name="Ada") as (alice, visitor):
        call, incoming = await connected(visitor, alice)
        assert incoming.caller["display_name"] == "Ada"
        await both_flow(call, incoming)
        assert call.frames_received["audio"] > 0
        assert incoming.frames_received["audio"] > 0
        await call.end()
        await incoming.wait_for_state("ended", timeout=10)
        assert states(call) == ["initiated", "ringing", "in_call", "ended"]
        assert states(incoming) == ["ringing", "in_call", "ended"]
        assert (call.end_reason, incoming.end_reason) == ("ended_by_local", "ended_by_remote")


@pytest.mark.parametrize("holder", ["agent", "visitor"])
async def test_hold_stops_the_media_both_ways_and_unhold_resumes_it(server, holder):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice)
        await both_flow(call, incoming)
        local, remote = (incoming, call) if holder == "agent" else (call, incoming)
        await local.hold()
        await remote.wait_for_state("remotely_held", timeout=10)
        await both_flow(call, incoming, flowing=False)
        before = [await c.inbound_bytes() for c in (call, incoming)]
        await local.unhold()
        await remote.wait_for_state("in_call", timeout=10)
        await both_flow(call, incoming)
        after = [await c.inbound_bytes() for c in (call, incoming)]
        assert all(a["audio"] > b["audio"] for a, b in zip(after, before, strict=True))
        assert states(local)[-3:] == ["in_call", "on_hold", "in_call"]
        assert states(remote)[-3:] == ["in_call", "remotely_held", "in_call"]


async def test_double_hold_keeps_media_stopped_until_both_unhold(server):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice)
        await both_flow(call, incoming)
        await incoming.hold()
        await call.wait_for_state("remotely_held", timeout=10)
        await call.hold()
        await incoming.wait_for_state("on_double_hold", timeout=10)
        await incoming.unhold()
        await call.wait_for_state("on_hold", timeout=10)
        await both_flow(call, incoming, flowing=False)
        await call.unhold()
        await incoming.wait_for_state("in_call", timeout=10)
        await both_flow(call, incoming)
        assert states(call)[2:] == [
            "in_call",
            "remotely_held",
            "on_double_hold",
            "on_hold",
            "in_call",
        ]
        assert states(incoming)[1:] == [
            "in_call",
            "on_hold",
            "on_double_hold",
            "remotely_held",
            "in_call",
        ]


async def test_forward_from_alice_to_bob_gets_media_flowing_to_the_visitor(server):
    async with clients(server, "alice", "bob") as (alice, bob, visitor):
        await bob.set_presence(Presence.AWAY)
        call = await visitor.call(to="alice@support.example.com")
        at_alice = await alice.next_incoming(timeout=10)
        await bob.set_presence(Presence.AVAILABLE)
        await at_alice.forward("bob@support.example.com")
        await at_alice.wait_for_state("ended", timeout=10)
        assert at_alice.end_reason == "forwarded"
        at_bob = await bob.next_incoming(timeout=10)
        assert at_bob.call_id == call.call_id
        await at_bob.accept()
        await call.wait_for_state("in_call", timeout=10)
        await both_flow(call, at_bob)
        assert states(call) == ["initiated", "ringing", "in_call"]


async def test_video_start_on_an_audio_call_adds_flowing_video(server):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice, media="audio")
        await both_flow(call, incoming)
        assert (await call.inbound_bytes()).get("video", 0) == 0
        await incoming.video_start()
        await record(visitor).event("call.media", call, timeout=10, video=True)
        assert call.remote_video is True
        await call.wait_for_media("video", timeout=10)
        assert call.frames_received["video"] > 0
        await incoming.video_stop()
        await call.wait_for_media("video", flowing=False, timeout=10, window=1.0)


async def test_a_video_call_accepted_with_video_flows_video_both_ways(server):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice, media="video", video=True)
        await both_flow(call, incoming, kind="video")
        await both_flow(call, incoming, kind="audio")


async def test_video_start_on_an_audio_single_call_fails_with_not_supported(server):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice, media="audio_single")
        await both_flow(call, incoming)
        with pytest.raises(OperationFailed) as refused:
            await call.video_start()
        assert refused.value.code == ErrorCode.NOT_SUPPORTED
        await both_flow(call, incoming)  # the call goes on


async def test_mute_stops_the_audio_and_tells_the_other_side(server):
    async with clients(server, "alice") as (alice, visitor):
        call, incoming = await connected(visitor, alice)
        await both_flow(call, incoming)
        await call.mute()
        media = await record(alice).event("call.media", incoming, timeout=10, muted=True)
        assert media["video"] is False
        assert (incoming.remote_muted, incoming.remote_video) == (True, False)
        await incoming.wait_for_media("audio", flowing=False, timeout=10, window=1.0)
        await call.unmute()
        await incoming.wait_for_media("audio", timeout=10)
