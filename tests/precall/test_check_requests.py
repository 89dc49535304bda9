"""check.start / check.candidate / check.end over the WebSocket, against the server's
echo peer (a real aiortc peer in the test's process), and every way they are refused."""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client.peer import MediaPeer
from supportcall.precall.echo import Capacity
from tests.support.sdps import OFFER

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 30.0  # two busy cores: generous


async def offer() -> MediaPeer:
    peer = MediaPeer("audio_single", ice_servers=[])
    await peer.create_offer()
    return peer


async def echoed_audio(peer: MediaPeer) -> int:
    """Wait until audio comes back from the echo peer; its RTP payload bytes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while loop.time() < deadline:
        received = peer.inbound_bytes().get("audio", 0)
        if received > 0:
            return received
        await asyncio.sleep(0.1)
    raise AssertionError("no audio came back")


async def none_running() -> None:
    while Capacity.running:  # noqa: ASYNC110 (a count, no event to wait on)
        await asyncio.sleep(0.05)


async def test_a_visitors_check_is_answered_and_its_audio_comes_back(parties):
    visitor = await parties("visitor")
    peer = await offer()
    try:
        sdp = peer.pc.localDescription.sdp
        ack = await visitor.ok("check.start", media="audio_single", sdp=sdp)
        assert ack["seconds"] == 8.0
        assert ack["limits"] == {"rtt_ms": 400.0, "loss_pct": 1.0}
        assert ack["sdp"].startswith("v=0")
        await peer.apply_answer(ack["sdp"])
        await peer.wait_connected(WAIT)
        assert await echoed_audio(peer) > 0
        assert peer.candidate_pair is not None and peer.candidate_pair[0] == "host"
        assert Capacity.running == 1
        await visitor.ok("check.end")
        assert Capacity.running == 0
        # Ended by the client: nothing more is said about it.
        await visitor.silent()
    finally:
        await peer.close()


async def test_an_agent_may_check_too(parties):
    agent = await parties("alice")
    peer = await offer()
    try:
        await agent.ok("check.start", sdp=peer.pc.localDescription.sdp)
        await agent.ok("check.end")
    finally:
        await peer.close()


async def test_the_server_ends_a_check_when_its_time_is_up(parties, settings):
    settings.SUPPORTCALL_CHECK_SECONDS = 1.0
    visitor = await parties("visitor")
    peer = await offer()
    try:
        await visitor.ok("check.start", sdp=peer.pc.localDescription.sdp)
        assert await visitor.event("check.ended", timeout=WAIT) == {
            "type": "check.ended",
            "reason": "timeout",
        }
        assert Capacity.running == 0
        await visitor.fails("invalid_state", "check.end")
    finally:
        await peer.close()


async def test_a_check_ends_when_its_websocket_closes(parties):
    visitor = await parties("visitor")
    peer = await offer()
    try:
        await visitor.ok("check.start", sdp=peer.pc.localDescription.sdp)
        assert Capacity.running == 1
        await visitor.close()
        await asyncio.wait_for(none_running(), WAIT)
    finally:
        await peer.close()


async def test_a_second_check_while_one_runs_is_refused(parties):
    visitor = await parties("visitor")
    peer = await offer()
    try:
        sdp = peer.pc.localDescription.sdp
        await visitor.ok("check.start", sdp=sdp)
        reply = await visitor.fails("operation_in_progress", "check.start", sdp=sdp)
        assert reply["message"] == "a check is running already"
        assert Capacity.running == 1
        await visitor.ok("check.end")
    finally:
        await peer.close()


async def test_checks_over_the_processs_limit_are_refused_rate_limited(parties, settings):
    settings.SUPPORTCALL_CHECK_CONCURRENT = 1
    first, second = await parties("visitor"), await parties("visitor")
    peer = await offer()
    try:
        sdp = peer.pc.localDescription.sdp
        await first.ok("check.start", sdp=sdp)
        reply = await second.fails("rate_limited", "check.start", sdp=sdp)
        assert reply["message"] == "the server is busy with other checks; try again soon"
        await first.ok("check.end")
        await second.ok("check.start", sdp=sdp)  # a place is free again
        await second.ok("check.end")
    finally:
        await peer.close()


async def test_more_checks_a_minute_than_allowed_are_refused_rate_limited(parties, settings):
    settings.SUPPORTCALL_CHECK_RATE = 2
    visitor = await parties("visitor")
    peer = await offer()
    try:
        sdp = peer.pc.localDescription.sdp
        for _ in range(2):
            await visitor.ok("check.start", sdp=sdp)
            await visitor.ok("check.end")
        reply = await visitor.fails("rate_limited", "check.start", sdp=sdp)
        assert reply["message"] == "at most 2 checks a minute; try again in a minute"
        assert Capacity.running == 0
    finally:
        await peer.close()


@pytest.mark.parametrize(
    ("fields", "code", "says"),
    [
        ({"sdp": "not sdp"}, "bad_request", ""),
        ({"sdp": OFFER["video"], "media": "audio_single"}, "bad_request", ""),  # two m-lines
        ({"sdp": OFFER["audio"], "media": "hologram"}, "bad_request", "'media' must be"),
        ({}, "bad_request", "check.start needs 'sdp'"),
        ({"sdp": 5}, "bad_request", "'sdp' must be a string"),
        ({"sdp": "v=0\r\na=" + "x" * 60_500}, "too_large", ""),
    ],
)
async def test_a_bad_offer_is_refused_and_no_check_starts(parties, fields, code, says):
    visitor = await parties("visitor")
    reply = await visitor.fails(code, "check.start", **fields)
    assert says in reply["message"]
    assert Capacity.running == 0
    await visitor.fails("invalid_state", "check.end")


async def test_a_candidate_for_no_check_is_refused_invalid_state(parties):
    visitor = await parties("visitor")
    candidate = {"candidate": "candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host",
                 "sdpMid": "0", "sdpMLineIndex": 0}  # fmt: skip
    reply = await visitor.fails("invalid_state", "check.candidate", candidate=candidate)
    assert reply["message"] == "no check is running: send check.start"


async def test_a_checks_candidates_are_taken_and_bad_ones_refused(parties):
    visitor = await parties("visitor")
    peer = await offer()
    try:
        await visitor.ok("check.start", sdp=peer.pc.localDescription.sdp)
        good = {"candidate": "candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host",
                "sdpMid": "0", "sdpMLineIndex": 0}  # fmt: skip
        await visitor.ok("check.candidate", candidate=good)
        await visitor.ok("check.candidate", candidate=None)  # the end of candidates
        await visitor.fails("bad_request", "check.candidate", candidate={"candidate": "<b>"})
        await visitor.fails("bad_request", "check.candidate", candidate={**good, "x": 1})
        await visitor.ok("check.end")
    finally:
        await peer.close()


async def test_check_end_with_no_check_is_refused_invalid_state(parties):
    visitor = await parties("visitor")
    reply = await visitor.fails("invalid_state", "check.end")
    assert reply["message"] == "no check is running"


async def test_a_video_check_gets_its_video_back_too(parties):
    visitor = await parties("visitor")
    peer = MediaPeer("video", ice_servers=[])
    try:
        sdp = await peer.create_offer()
        ack = await visitor.ok("check.start", media="video", sdp=sdp)
        await peer.apply_answer(ack["sdp"])
        await peer.wait_connected(WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while peer.inbound_bytes().get("video", 0) == 0 and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert peer.inbound_bytes().get("video", 0) > 0
        assert await echoed_audio(peer) > 0
        await visitor.ok("check.end")
    finally:
        await peer.close()
