"""The Python client's check before the call, against a real daphne on this machine."""

from __future__ import annotations

import pytest

from supportcall.client import CallError

WAIT = 30.0


async def test_a_check_on_this_machine_is_good_and_reaches_the_agent_with_the_call(clients):
    agent = await clients.agent()
    visitor = await clients.visitor()
    check = await visitor.check()
    assert check["verdict"] == "good", check
    assert check["connected"] is True
    assert check["candidate_type"] == "host"
    # Measured from the echoed audio's RTCP: a round trip on one machine, little loss.
    assert check["rtt_ms"] is not None and 0 <= check["rtt_ms"] < 400
    assert check["loss_pct"] is not None and check["loss_pct"] <= 1.0

    await visitor.call(media="audio", check=check)
    incoming = await agent.next_incoming(timeout=WAIT)
    assert incoming.caller["check"] == check


async def test_a_second_check_at_once_is_refused_by_the_server(clients):
    visitor = await clients.visitor()
    first = await visitor.signaling.request(
        {"type": "check.start", "sdp": await _offer(visitor), "media": "audio_single"}
    )
    assert first["type"] == "ack"
    with pytest.raises(CallError) as refused:
        await visitor.check()
    assert refused.value.code == "operation_in_progress"


async def _offer(visitor) -> str:
    peer = visitor._new_media_peer("audio_single")
    try:
        return await peer.create_offer()
    finally:
        await peer.close()
