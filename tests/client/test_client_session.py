"""Visitor, Agent and Call against the fake server (``fakeserver.py``): the
client's side of the contract, with real aiortc media between the parties."""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client import (
    Agent,
    CallEnded,
    CallError,
    LoginError,
    ServerUnreachable,
    SignalingClosed,
    Visitor,
)
from supportcall.client.session import parse_candidate

from .fakeserver import QUEUE

STOPPED = {"flowing": False, "window": 0.8, "timeout": 5.0}


@pytest.fixture
async def clients(fake_server):
    """Connected visitor/agent factories; everything is closed at the end."""
    opened = []

    async def visitor(**kw):
        client = Visitor(fake_server.url, site="demo", display_name="Ada", **kw)
        opened.append(client)
        await client.connect()
        return client

    async def agent(username="alice", **kw):
        client = Agent(fake_server.url, username=username, password="secret", **kw)
        opened.append(client)
        await client.connect()
        return client

    yield visitor, agent
    for client in opened:
        await client.close()


async def answered_call(clients, media="audio", video=False):
    make_visitor, make_agent = clients
    agent = await make_agent()
    visitor = await make_visitor()
    call = await visitor.call(media=media)
    incoming = await agent.next_incoming(timeout=5)
    (await incoming.accept(video=video)).raise_for_error()
    await call.wait_for_state("in_call", timeout=5)
    await incoming.wait_for_state("in_call", timeout=5)
    return call, incoming


async def test_visitor_calls_agent_and_audio_flows_both_ways(clients):
    call, incoming = await answered_call(clients)
    visitor = call.client

    await call.wait_for_media("audio")
    await incoming.wait_for_media("audio")
    assert call.to == QUEUE == visitor.targets[0]
    assert incoming.caller["display_name"] == "Ada"
    assert incoming.caller["address"] == visitor.identity
    assert incoming.media == "audio"
    assert call.states == ["initiated", "ringing", "in_call"]
    assert incoming.states == ["ringing", "in_call"]
    assert incoming.events[0]["type"] == "call.incoming"


async def test_hold_and_unhold_stop_and_resume_media_on_both_sides(clients):
    call, incoming = await answered_call(clients)
    await call.wait_for_media("audio")

    result = await call.hold()

    assert result.ok and result.op == "hold"
    assert call.negotiated_directions() == {"audio": "inactive", "video": "inactive"}
    await call.wait_for_state("on_hold")
    await incoming.wait_for_state("remotely_held")
    await call.wait_for_media("audio", **STOPPED)
    await incoming.wait_for_media("audio", **STOPPED)

    (await call.unhold()).raise_for_error()

    await call.wait_for_state("in_call")
    await call.wait_for_media("audio")
    await incoming.wait_for_media("audio")
    assert call.states == ["initiated", "ringing", "in_call", "on_hold", "in_call"]
    assert incoming.states == ["ringing", "in_call", "remotely_held", "in_call"]
    offer = next(e for e in incoming.events if e["type"] == "call.offer")
    assert offer["op"] == "hold"


async def test_hold_returns_after_the_answer_even_if_op_result_overtakes_it(clients, fake_server):
    fake_server.op_result_before_answer = True
    call, _incoming = await answered_call(clients)
    before = len(call.events)

    (await call.hold()).raise_for_error()

    assert call.negotiated_directions() == {"audio": "inactive", "video": "inactive"}
    types = [e["type"] for e in call.events[before:]]
    assert types.index("op.result") < types.index("call.answer")


async def test_events_that_overtake_the_create_ack_are_kept(clients, fake_server):
    fake_server.state_before_ack = True
    make_visitor, make_agent = clients
    await make_agent()
    visitor = await make_visitor()

    call = await visitor.call()

    await call.wait_for_state("ringing", timeout=5)
    assert call.states == ["initiated", "ringing"]


async def test_a_reoffer_timeout_fails_the_op_and_leaves_the_connection_usable(
    clients, fake_server
):
    call, incoming = await answered_call(clients)
    fake_server.reoffer_timeout = 0.5
    fake_server.drop_offers = True

    result = await call.hold()

    assert (result.ok, result.code) == (False, "timeout")
    assert call.pc.signalingState == "stable"
    assert call.negotiated_directions()["audio"] == "sendrecv"
    await incoming.wait_for_media("audio")
    with pytest.raises(CallError, match="timeout"):
        result.raise_for_error()

    fake_server.drop_offers = False
    (await call.hold()).raise_for_error()
    await incoming.wait_for_media("audio", **STOPPED)


async def test_an_error_answer_raises_call_error_with_the_servers_code(clients):
    call, _incoming = await answered_call(clients)

    with pytest.raises(CallError) as caught:
        await call.unhold()

    assert caught.value.code == "invalid_state"
    assert call.pc.signalingState == "stable"


async def test_a_second_operation_in_flight_gets_operation_in_progress(clients, fake_server):
    call, _incoming = await answered_call(clients)
    fake_server.drop_offers = True
    fake_server.reoffer_timeout = 1.0
    hold = asyncio.ensure_future(call.hold())
    await asyncio.sleep(0.2)

    with pytest.raises(CallError) as caught:
        await call.video_start()

    assert caught.value.code == "operation_in_progress"
    assert (await hold).code == "timeout"


async def test_agent_video_start_on_an_audio_call_sends_video_to_the_visitor(clients):
    call, incoming = await answered_call(clients, media="audio")

    (await incoming.video_start()).raise_for_error()

    await call.wait_for_media("video")
    await call.wait_for_event("call.media", video=True)
    assert call.remote_media == {"muted": False, "video": True}
    await incoming.wait_for_media("video", **STOPPED)


async def test_video_call_answered_with_video_sends_video_both_ways(clients):
    call, incoming = await answered_call(clients, media="video", video=True)

    await call.wait_for_media("video")
    await incoming.wait_for_media("video")
    assert call.frames_received["audio"] >= 0


async def test_mute_stops_the_audio_the_other_party_receives(clients):
    call, incoming = await answered_call(clients)
    await incoming.wait_for_media("audio")

    (await call.mute()).raise_for_error()

    assert call.muted
    await incoming.wait_for_event("call.media", muted=True)
    assert incoming.remote_media == {"muted": True, "video": False}
    await incoming.wait_for_media("audio", **STOPPED)
    await call.wait_for_media("audio")

    (await call.unmute()).raise_for_error()
    await incoming.wait_for_media("audio")


async def test_ending_closes_the_peer_connections_with_reasons(clients):
    call, incoming = await answered_call(clients)

    (await call.end()).raise_for_error()

    await call.wait_for_state("ended")
    await incoming.wait_for_state("ended")
    assert (call.end_reason, incoming.end_reason) == ("ended_by_local", "ended_by_remote")
    await asyncio.sleep(0.1)
    assert call.pc.connectionState == "closed"
    assert incoming.pc.connectionState == "closed"


async def test_waiting_on_a_call_that_ends_raises_call_ended(clients):
    make_visitor, make_agent = clients
    agent = await make_agent()
    visitor = await make_visitor()
    call = await visitor.call()
    incoming = await agent.next_incoming(timeout=5)

    (await incoming.reject()).raise_for_error()

    with pytest.raises(CallEnded) as caught:
        await call.wait_for_state("in_call", timeout=5)
    assert caught.value.reason == "rejected"
    assert call.states == ["initiated", "ringing", "ended"]
    assert call.pc is not None and call.pc.connectionState == "closed"


async def test_no_available_agent_ends_the_call_with_no_agents(clients):
    make_visitor, make_agent = clients
    agent = await make_agent()
    await agent.set_presence("away")
    visitor = await make_visitor()

    call = await visitor.call(media="audio_single")

    await call.wait_for_state("ended", timeout=5)
    assert call.end_reason == "no_agents"


async def test_a_raw_bad_request_raises_call_error(clients):
    make_visitor, _ = clients
    visitor = await make_visitor()

    with pytest.raises(CallError) as caught:
        await visitor.signaling.request({"type": "call.nonsense", "call_id": "x"})

    assert caught.value.code in ("bad_request", "not_found")


async def test_a_raw_frame_that_is_not_json_gets_an_error_event(clients):
    make_visitor, _ = clients
    visitor = await make_visitor()

    await visitor.signaling.send_text("{not json")

    error = await visitor.wait_for_event("error", timeout=5)
    assert error["code"] == "bad_request"


async def test_ice_candidate_events_are_added_to_the_peer_connection(clients, fake_server):
    fake_server.candidates_to_send = [
        {
            "candidate": "candidate:1 1 udp 2122260223 192.0.2.77 50000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
        None,
    ]
    _, incoming = await answered_call(clients)

    remote = incoming.pc.remoteDescription.sdp
    assert "192.0.2.77 50000 typ host" in remote
    assert incoming.errors == []
    await incoming.wait_for_media("audio")


def test_browser_style_candidates_parse_for_aiortc():
    candidate = parse_candidate(
        {
            "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.9 3478 typ srflx "
            "raddr 0.0.0.0 rport 0 generation 0",
            "sdpMid": "1",
            "sdpMLineIndex": 1,
        }
    )

    assert (candidate.ip, candidate.port, candidate.type) == ("192.0.2.9", 3478, "srflx")
    assert (candidate.sdpMid, candidate.sdpMLineIndex) == ("1", 1)
    assert parse_candidate(None) is None
    assert parse_candidate({"candidate": "", "sdpMid": "0"}) is None


async def test_wrong_password_raises_login_error_with_the_servers_message(fake_server):
    agent = Agent(fake_server.url, username="alice", password="nope")

    with pytest.raises(LoginError) as caught:
        await agent.connect()

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert caught.value.message == "wrong username or password"


async def test_an_unreachable_server_raises_server_unreachable(unused_tcp_port):
    visitor = Visitor(f"http://127.0.0.1:{unused_tcp_port}", site="demo", timeout=2)

    with pytest.raises(ServerUnreachable, match="cannot reach"):
        await visitor.connect()


async def test_a_replayed_token_is_closed_with_4401(fake_server):
    visitor = Visitor(fake_server.url, site="demo")
    await visitor.connect()
    await visitor.close()
    replay = Visitor(fake_server.url, site="demo")
    replay.login = visitor.login

    with pytest.raises(SignalingClosed) as caught:
        await replay.signaling.connect(visitor.login)

    assert caught.value.code == 4401


async def test_close_ends_active_calls_and_leaves_no_tasks(clients):
    call, incoming = await answered_call(clients)
    before = asyncio.all_tasks()

    await call.client.close()
    await incoming.client.close()
    await asyncio.sleep(0.1)

    assert call.end_reason == "ended_by_local"
    assert incoming.end_reason == "ended_by_remote"
    assert call.pc.connectionState == "closed"
    leftover = {t for t in asyncio.all_tasks() - {asyncio.current_task()} if not t.done()}
    assert not {t.get_name() for t in leftover if t.get_name().startswith("supportcall")}
    assert len(leftover) <= len(before)


async def test_close_without_hangup_just_drops_the_connection(clients, fake_server):
    call, _incoming = await answered_call(clients)

    await call.client.close(hangup=False)

    assert call.end_reason is None
    assert "call.end" not in [m.get("type") for m in fake_server.received]
    assert call.client.signaling.closed is not None
    assert call.pc.connectionState == "closed"
