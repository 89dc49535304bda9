"""Real aiortc media between two in-process peers: what hold, unhold, video
start/stop and mute do to the RTP on the wire, with no server in between.

"Flowing" means the receiver's RTP byte counter grows; "stopped" means it has
not grown for 0.8 s (an audio frame leaves every 20 ms, a video frame every
33 ms). Every stop is checked after the same media was seen flowing.
"""

from __future__ import annotations

from supportcall.client import wait_for_flow
from supportcall.client.peer import MediaPeer

STOPPED = {"flowing": False, "window": 0.8, "timeout": 5.0}


async def flowing(peer: MediaPeer, kind: str) -> None:
    await wait_for_flow(peer.inbound_bytes, kind, timeout=5.0)


async def stopped(peer: MediaPeer, kind: str) -> None:
    await wait_for_flow(peer.inbound_bytes, kind, **STOPPED)


async def test_audio_frames_arrive_on_both_sides(loopback):
    visitor, agent = await loopback.call("audio")

    await flowing(visitor, "audio")
    await flowing(agent, "audio")
    await wait_for_flow(lambda: visitor.frames_received, "audio")
    await wait_for_flow(lambda: agent.frames_received, "audio")
    assert visitor.frames_received["video"] == agent.frames_received["video"] == 0
    assert (await visitor.inbound_packets())["audio"] > 0


async def test_hold_stops_inbound_audio_on_both_sides(loopback):
    visitor, agent = await loopback.call("audio")
    await flowing(visitor, "audio")
    await flowing(agent, "audio")

    await loopback.reoffer(visitor, agent, "hold")

    await stopped(visitor, "audio")
    await stopped(agent, "audio")
    assert visitor.negotiated_directions() == {"audio": "inactive", "video": "inactive"}
    assert agent.negotiated_directions() == {"audio": "inactive", "video": "inactive"}


async def test_unhold_resumes_inbound_audio_on_both_sides(loopback):
    visitor, agent = await loopback.call("audio")
    await loopback.reoffer(visitor, agent, "hold")
    await stopped(visitor, "audio")
    await stopped(agent, "audio")

    await loopback.reoffer(visitor, agent, "unhold")

    await flowing(visitor, "audio")
    await flowing(agent, "audio")
    assert visitor.negotiated_directions() == {"audio": "sendrecv", "video": "inactive"}


async def test_agent_can_hold_and_unhold_a_call_it_answered(loopback):
    visitor, agent = await loopback.call("audio")
    await flowing(visitor, "audio")

    await loopback.reoffer(agent, visitor, "hold")
    await stopped(visitor, "audio")
    await stopped(agent, "audio")

    await loopback.reoffer(agent, visitor, "unhold")
    await flowing(visitor, "audio")
    await flowing(agent, "audio")


async def test_double_hold_keeps_media_stopped_until_both_unhold(loopback):
    visitor, agent = await loopback.call("audio")
    await loopback.reoffer(visitor, agent, "hold")
    await loopback.reoffer(agent, visitor, "hold")

    await loopback.reoffer(visitor, agent, "unhold")
    await stopped(visitor, "audio")
    await stopped(agent, "audio")

    await loopback.reoffer(agent, visitor, "unhold")
    await flowing(visitor, "audio")
    await flowing(agent, "audio")


async def test_hold_stops_video_too_and_unhold_restores_it(loopback):
    visitor, agent = await loopback.call("video", video=True)
    for peer in (visitor, agent):
        await flowing(peer, "video")

    await loopback.reoffer(visitor, agent, "hold")
    for peer in (visitor, agent):
        await stopped(peer, "video")
        await stopped(peer, "audio")

    await loopback.reoffer(visitor, agent, "unhold")
    for peer in (visitor, agent):
        await flowing(peer, "video")
        await flowing(peer, "audio")


async def test_video_start_on_an_audio_call_adds_flowing_video(loopback):
    visitor, agent = await loopback.call("audio")
    await flowing(agent, "audio")
    await stopped(agent, "video")  # the inactive m-line carries nothing

    await loopback.reoffer(visitor, agent, "video_start")

    await flowing(agent, "video")
    await wait_for_flow(lambda: agent.frames_received, "video")
    await stopped(visitor, "video")  # the agent did not start its own video
    assert visitor.negotiated_directions()["video"] == "sendonly"


async def test_video_start_by_both_parties_sends_video_both_ways(loopback):
    visitor, agent = await loopback.call("audio")
    await loopback.reoffer(agent, visitor, "video_start")
    await loopback.reoffer(visitor, agent, "video_start")

    await flowing(visitor, "video")
    await flowing(agent, "video")
    assert visitor.negotiated_directions()["video"] == "sendrecv"


async def test_video_stop_stops_only_the_stoppers_video(loopback):
    visitor, agent = await loopback.call("video", video=True)
    await flowing(visitor, "video")
    await flowing(agent, "video")

    await loopback.reoffer(visitor, agent, "video_stop")

    await stopped(agent, "video")
    await flowing(visitor, "video")
    await flowing(agent, "audio")


async def test_video_can_restart_after_video_stop(loopback):
    visitor, agent = await loopback.call("audio")
    await loopback.reoffer(visitor, agent, "video_start")
    await flowing(agent, "video")
    await loopback.reoffer(visitor, agent, "video_stop")
    await stopped(agent, "video")

    await loopback.reoffer(visitor, agent, "video_start")

    await flowing(agent, "video")


async def test_unhold_keeps_video_that_was_started_before_hold(loopback):
    visitor, agent = await loopback.call("audio")
    await loopback.reoffer(visitor, agent, "video_start")
    await loopback.reoffer(visitor, agent, "hold")
    await stopped(agent, "video")

    await loopback.reoffer(visitor, agent, "unhold")

    await flowing(agent, "video")
    await stopped(visitor, "video")


async def test_mute_stops_audio_and_unmute_resumes_it(loopback):
    visitor, agent = await loopback.call("audio")
    await flowing(agent, "audio")

    visitor.mute()
    await stopped(agent, "audio")
    await flowing(visitor, "audio")  # the other direction is untouched

    visitor.unmute()
    await flowing(agent, "audio")


async def test_a_dropped_reoffer_leaves_the_connection_usable(loopback):
    """A re-offer whose answer never came (op.result timeout) is dropped; the
    peer connection never left ``stable`` and the next operation works."""
    visitor, agent = await loopback.call("audio")

    await visitor.create_reoffer("hold")  # sent, never answered
    assert visitor.pc.signalingState == "stable"
    await flowing(agent, "audio")

    await loopback.reoffer(visitor, agent, "hold")
    await stopped(agent, "audio")
    await stopped(visitor, "audio")


async def test_audio_single_call_carries_audio_only(loopback):
    visitor, agent = await loopback.call("audio_single")

    await flowing(visitor, "audio")
    await flowing(agent, "audio")
    assert [t.kind for t in visitor.pc.getTransceivers()] == ["audio"]
    assert [t.kind for t in agent.pc.getTransceivers()] == ["audio"]
