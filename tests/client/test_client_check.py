"""The Python client's check before the call, against a real daphne on this machine."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from supportcall.client import CallError
from supportcall.client.media import most_direct_candidate_type

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


def _peer_whose_checks(*pairs: tuple[str, str]) -> object:
    """A peer connection as aiortc and aioice shape it: pairs of (local type, state)."""
    check_list = [
        SimpleNamespace(
            local_candidate=SimpleNamespace(type=kind), state=SimpleNamespace(name=state)
        )
        for kind, state in pairs
    ]
    connection = SimpleNamespace(_check_list=check_list)
    transport = SimpleNamespace(transport=SimpleNamespace(_connection=connection))
    transceiver = SimpleNamespace(receiver=SimpleNamespace(transport=transport))
    return SimpleNamespace(getTransceivers=lambda: [transceiver])


def test_a_check_says_the_most_direct_path_that_connected_not_the_one_ice_picked_first():
    # The relay's check answered first (ICE took it), the host's a moment later.
    both = _peer_whose_checks(("relay", "SUCCEEDED"), ("host", "SUCCEEDED"))
    assert most_direct_candidate_type(both) == "host"
    only_relay = _peer_whose_checks(("host", "FAILED"), ("relay", "SUCCEEDED"))
    assert most_direct_candidate_type(only_relay) == "relay"
    nothing = _peer_whose_checks(("host", "IN_PROGRESS"))
    assert most_direct_candidate_type(nothing) is None
