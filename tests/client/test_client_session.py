"""Visitor, Agent and Call against the real server (a daphne process): the
client's side of the contract, with real aiortc media between the parties.

Orders of events a quiet run never shows are made with ``tests/support/frames.py``
in front of the client; the history a test asserts is kept by
``tests/support/recorder.py``, not by the client.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from supportcall.client import (
    CallEnded,
    CallError,
    ConnectionState,
    LoginError,
    OperationFailed,
    Options,
    ServerUnreachable,
    SignalingClosed,
    Visitor,
)
from supportcall.client.session import parse_candidate
from supportcall.vocabulary import ErrorCode, Link, Presence, Reason, State
from tests.support.frames import Frames

SUPPORT = "support@support.example.com"
ALICE = "alice@support.example.com"
STOPPED = {"flowing": False, "window": 0.8, "timeout": 5.0}


async def answered_call(clients, media="audio", video=False):
    agent = await clients.agent()
    visitor = await clients.visitor()
    call = await visitor.call(media=media)
    incoming = await agent.next_incoming(timeout=5)
    await incoming.accept(video=video)
    await call.wait_for_state(State.IN_CALL, timeout=5)
    await incoming.wait_for_state(State.IN_CALL, timeout=5)
    return call, incoming


def is_(type_, call=None, **fields):
    def match(frame):
        return (
            frame.get("type") == type_
            and (call is None or frame.get("call_id") == call.call_id)
            and all(frame.get(k) == v for k, v in fields.items())
        )

    return match


def client_warnings(caplog):
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("supportcall.client") and r.levelno >= logging.WARNING
    ]


async def test_visitor_calls_agent_and_audio_flows_both_ways(clients):
    call, incoming = await answered_call(clients)
    visitor, agent = call.client, incoming.client

    await call.wait_for_media("audio")
    await incoming.wait_for_media("audio")
    assert call.to == SUPPORT == visitor.targets[0]
    assert incoming.caller["display_name"] == "Ada"
    assert incoming.caller["address"] == visitor.identity
    assert incoming.media == "audio"
    assert clients.record(visitor).states(call) == ["initiated", "ringing", "in_call"]
    assert clients.record(agent).states(incoming) == ["ringing", "in_call"]
    assert clients.record(agent).call_events(incoming)[0]["type"] == "call.incoming"
    assert (call.state, call.previous_state) == (State.IN_CALL, State.RINGING)


async def test_hold_and_unhold_stop_and_resume_media_on_both_sides(clients):
    call, incoming = await answered_call(clients)
    await call.wait_for_media("audio")

    await call.hold()

    assert call.negotiated_directions() == {"audio": "inactive", "video": "inactive"}
    await call.wait_for_state(State.ON_HOLD)
    await incoming.wait_for_state(State.REMOTELY_HELD)
    await call.wait_for_media("audio", **STOPPED)
    await incoming.wait_for_media("audio", **STOPPED)

    await call.unhold()

    await call.wait_for_state(State.IN_CALL)
    await incoming.wait_for_state(State.IN_CALL)
    await call.wait_for_media("audio")
    await incoming.wait_for_media("audio")
    visitor, agent = clients.record(call.client), clients.record(incoming.client)
    assert visitor.states(call) == ["initiated", "ringing", "in_call", "on_hold", "in_call"]
    assert agent.states(incoming) == ["ringing", "in_call", "remotely_held", "in_call"]
    offer = next(e for e in agent.call_events(incoming) if e["type"] == "call.offer")
    assert offer["op"] == "hold"


async def test_hold_returns_after_the_answer_even_if_op_result_overtakes_it(clients):
    call, _incoming = await answered_call(clients)
    record = clients.record(call.client)
    Frames(call.client).hold_back(is_("call.answer", call), until=is_("op.result", call, op="hold"))
    before = record.mark(call)

    await call.hold()

    assert call.negotiated_directions() == {"audio": "inactive", "video": "inactive"}
    types = [e["type"] for e in record.call_events(call)[before:]]
    assert types.index("op.result") < types.index("call.answer")


async def test_events_that_overtake_the_create_ack_are_kept(clients):
    await clients.agent()
    visitor = await clients.visitor()
    Frames(visitor).hold_back(is_("ack"), until=is_("call.state", state="ringing"))

    call = await visitor.call()

    await call.wait_for_state(State.RINGING, timeout=5)
    assert clients.record(visitor).states(call) == ["initiated", "ringing"]


async def test_a_reoffer_timeout_fails_the_op_and_leaves_the_connection_usable(clients):
    call, incoming = await answered_call(clients)
    agent_frames = Frames(incoming.client)
    agent_frames.drop(is_("call.offer"))  # the agent never answers: the server times it out

    with pytest.raises(OperationFailed) as failed:
        await call.hold()

    assert (failed.value.code, failed.value.op) == (ErrorCode.TIMEOUT, "hold")
    assert call.pc.signalingState == "stable"
    assert call.negotiated_directions()["audio"] == "sendrecv"
    assert call.state == State.IN_CALL
    await incoming.wait_for_media("audio")

    agent_frames.stop_dropping()
    await call.hold()
    await incoming.wait_for_media("audio", **STOPPED)


async def test_an_error_answer_raises_operation_failed_with_the_servers_code(clients):
    call, _incoming = await answered_call(clients)

    with pytest.raises(OperationFailed) as caught:
        await call.unhold()

    assert (caught.value.code, caught.value.op) == (ErrorCode.INVALID_STATE, "unhold")
    assert isinstance(caught.value, CallError)
    assert call.pc.signalingState == "stable"


async def test_a_second_operation_in_flight_gets_operation_in_progress(clients):
    call, incoming = await answered_call(clients)
    Frames(incoming.client).drop(is_("call.offer"))
    hold = asyncio.ensure_future(call.hold())
    await asyncio.sleep(0.2)

    with pytest.raises(OperationFailed) as caught:
        await call.video_start()

    assert caught.value.code == ErrorCode.OPERATION_IN_PROGRESS
    with pytest.raises(OperationFailed) as timed_out:
        await hold
    assert timed_out.value.code == ErrorCode.TIMEOUT


async def test_agent_video_start_on_an_audio_call_sends_video_to_the_visitor(clients):
    call, incoming = await answered_call(clients, media="audio")
    assert call.remote_video is None  # nobody said yet

    await incoming.video_start()

    await call.wait_for_media("video")
    await clients.record(call.client).event("call.media", call, video=True)
    assert (call.remote_muted, call.remote_video) == (False, True)
    await incoming.wait_for_media("video", **STOPPED)


async def test_video_call_answered_with_video_sends_video_both_ways(clients):
    call, incoming = await answered_call(clients, media="video", video=True)

    await call.wait_for_media("video")
    await incoming.wait_for_media("video")
    assert call.frames_received["video"] > 0


async def test_mute_stops_the_audio_the_other_party_receives(clients):
    call, incoming = await answered_call(clients)
    await incoming.wait_for_media("audio")

    await call.mute()

    assert call.muted
    await incoming.wait_for(lambda: incoming.remote_muted, 5)
    assert (incoming.remote_muted, incoming.remote_video) == (True, False)
    await incoming.wait_for_media("audio", **STOPPED)
    await call.wait_for_media("audio")

    await call.unmute()
    await incoming.wait_for(lambda: not incoming.remote_muted, 5)
    await incoming.wait_for_media("audio")


async def test_ending_closes_the_peer_connections_with_reasons(clients):
    call, incoming = await answered_call(clients)

    await call.end()

    await incoming.wait_for_state(State.ENDED)
    # Whoever sees the new state finds its effects done and the listeners told.
    assert incoming.pc.connectionState == "closed"
    assert clients.record(incoming.client).states(incoming)[-1] == "ended"
    await call.wait_for_state(State.ENDED)
    assert call.pc.connectionState == "closed"
    assert (call.end_reason, incoming.end_reason) == ("ended_by_local", "ended_by_remote")


async def test_an_ended_call_leaves_the_clients_calls(clients):
    call, incoming = await answered_call(clients)
    visitor, agent = call.client, incoming.client
    assert list(visitor.calls) == [call.call_id] and list(agent.calls) == [call.call_id]

    await call.end()

    await visitor.wait_for(lambda: not visitor.calls, 5, "the visitor to let the call go")
    await agent.wait_for(lambda: not agent.calls, 5, "the agent to let the call go")
    assert (call.state, call.end_reason) == (State.ENDED, Reason.ENDED_BY_LOCAL)


async def test_async_for_yields_the_calls_events_until_it_ends(clients):
    agent = await clients.agent()
    visitor = await clients.visitor()
    call = await visitor.call()
    # Subscribed before anything else runs: the iteration holds every event from here.
    events = aiter(call)
    seen: list[tuple[str, str | None]] = []

    async def listen() -> None:
        async for event in events:
            seen.append((event["type"], event.get("state")))

    listening = asyncio.ensure_future(listen())
    incoming = await agent.next_incoming(timeout=5)
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=5)
    await incoming.end()
    await asyncio.wait_for(listening, 5)  # the iteration ends with the call

    states = [state for kind, state in seen if kind == "call.state"]
    assert states == ["initiated", "ringing", "in_call", "ended"]
    assert ("call.answer", None) in seen
    assert seen.index(("call.answer", None)) < seen.index(("call.state", "in_call"))
    assert [e async for e in call] == []  # an ended call has nothing more to say


async def test_an_async_incoming_listener_can_answer_calls(clients):
    agent = await clients.agent()
    answered: list[str] = []

    @agent.on("incoming")
    async def answer(call) -> None:
        await call.accept()
        answered.append(call.call_id)

    visitor = await clients.visitor()
    call = await visitor.call()

    await call.wait_for_state(State.IN_CALL, timeout=10)
    await agent.wait_for(lambda: answered, 5, "the listener to finish")
    assert answered == [call.call_id]
    await call.wait_for_media("audio", timeout=10)


async def test_waiting_on_a_call_that_ends_raises_call_ended(clients):
    agent = await clients.agent()
    visitor = await clients.visitor()
    call = await visitor.call(to=ALICE)  # a direct call: a reject ends it
    incoming = await agent.next_incoming(timeout=5)

    await incoming.reject()

    with pytest.raises(CallEnded) as caught:
        await call.wait_for_state(State.IN_CALL, timeout=5)
    assert caught.value.reason == "rejected"
    assert clients.record(visitor).states(call) == ["initiated", "ringing", "ended"]
    assert call.pc is not None and call.pc.connectionState == "closed"


async def test_a_queue_call_rejected_by_its_only_agent_ends_no_agents_at_once(clients):
    agent = await clients.agent()
    visitor = await clients.visitor()
    call = await visitor.call()  # to the queue
    incoming = await agent.next_incoming(timeout=5)

    await incoming.reject()

    await call.wait_for_state(State.ENDED, timeout=5)
    assert (incoming.state, incoming.end_reason) == (State.ENDED, Reason.REJECTED)
    assert call.end_reason == Reason.NO_AGENTS
    assert clients.record(visitor).states(call) == ["initiated", "ringing", "ended"]


async def test_no_agent_online_ends_the_call_with_no_agents(clients):
    visitor = await clients.visitor()

    call = await visitor.call(media="audio_single")

    await call.wait_for_state(State.ENDED, timeout=5)
    assert call.end_reason == Reason.NO_AGENTS


async def test_a_call_while_the_only_agent_is_away_ends_no_agents(clients):
    agent = await clients.agent()
    await agent.set_presence(Presence.AWAY)
    visitor = await clients.visitor()

    call = await visitor.call(media="audio_single")

    await call.wait_for_state(State.ENDED, timeout=5)
    assert call.end_reason == Reason.NO_AGENTS
    assert clients.record(visitor).states(call) == ["initiated", "ended"]
    assert not agent.calls


async def test_a_raw_bad_request_raises_call_error(clients):
    visitor = await clients.visitor()

    with pytest.raises(CallError) as caught:
        await visitor.signaling.request({"type": "call.nonsense", "call_id": "x"})

    assert caught.value.code == ErrorCode.BAD_REQUEST


async def test_a_raw_frame_that_is_not_json_gets_an_error_event(clients):
    visitor = await clients.visitor()

    await visitor.signaling.send_text("{not json")

    error = await clients.record(visitor).event("error", timeout=5)
    assert error["code"] == ErrorCode.BAD_REQUEST


async def test_ice_candidate_events_are_added_to_the_peer_connection(clients, caplog):
    caplog.set_level(logging.WARNING, logger="supportcall.client")
    agent = await clients.agent()
    visitor = await clients.visitor()
    call = await visitor.call()
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.77 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    for sent in (candidate, None):  # the server keeps them for the agent it rings
        await visitor.signaling.request(
            {"type": "ice.candidate", "call_id": call.call_id, "candidate": sent}
        )
    incoming = await agent.next_incoming(timeout=5)

    await incoming.accept()

    await incoming.wait_for(
        lambda: "192.0.2.77 50000 typ host" in incoming.pc.remoteDescription.sdp, 5
    )
    await incoming.wait_for_media("audio")
    assert client_warnings(caplog) == []


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


async def test_wrong_password_raises_login_error_with_the_servers_message(options):
    from supportcall.client import Agent

    agent = Agent(options, username="alice", password="nope")

    with pytest.raises(LoginError) as caught:
        await agent.connect()

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert caught.value.message == "wrong username or password"
    assert agent.connection_state == ConnectionState.NEW


async def test_an_unreachable_server_raises_server_unreachable(unused_tcp_port):
    visitor = Visitor(Options(f"http://127.0.0.1:{unused_tcp_port}", timeout=2), site="demo")

    with pytest.raises(ServerUnreachable, match="cannot reach"):
        await visitor.connect()


async def test_a_replayed_token_is_closed_with_4401(options):
    visitor = Visitor(options, site="demo")
    await visitor.connect()
    await visitor.close()
    replay = Visitor(options, site="demo")

    with pytest.raises(SignalingClosed) as caught:
        await replay.signaling.connect(visitor.login)

    assert caught.value.code == 4401
    assert replay.connection_state == ConnectionState.CLOSED


async def test_a_dropped_connection_resumes_and_says_so_in_its_own_state(clients):
    call, incoming = await answered_call(clients)
    visitor = call.client
    record = clients.record(visitor)
    assert visitor.connection_state == ConnectionState.CONNECTED

    visitor.signaling.abort()  # no close frame: the network dropped

    await record.until(lambda: record.connection[-2:] == ["reconnecting", "connected"], 15)
    assert record.connection == ["connecting", "connected", "reconnecting", "connected"]
    assert visitor.last_close is not None and visitor.last_close.code is None
    # Connection changes are the client's own: never in the server's events.
    assert not [e for e in record.events if not isinstance(e.get("type"), str)
                or e["type"].startswith("signaling.")]  # fmt: skip
    agent_record = clients.record(incoming.client)
    await agent_record.until(
        lambda: agent_record.remote_connection(incoming) == ["reconnecting", "connected"], 10
    )
    assert incoming.remote_connection == Link.CONNECTED
    await call.hold()  # signaling works on the new connection
    await incoming.wait_for_state(State.REMOTELY_HELD)
    assert clients.record(visitor).states(call) == ["initiated", "ringing", "in_call", "on_hold"]


async def test_close_ends_active_calls_and_leaves_no_tasks(clients):
    call, incoming = await answered_call(clients)
    before = asyncio.all_tasks()

    await call.client.close()
    await incoming.client.close()
    await asyncio.sleep(0.1)

    assert call.end_reason == "ended_by_local"
    assert incoming.end_reason == "ended_by_remote"
    assert call.pc.connectionState == "closed"
    assert call.client.connection_state == ConnectionState.CLOSED
    leftover = {t for t in asyncio.all_tasks() - {asyncio.current_task()} if not t.done()}
    assert not {t.get_name() for t in leftover if t.get_name().startswith("supportcall")}
    assert len(leftover) <= len(before)


async def test_close_without_hangup_just_drops_the_connection(clients):
    call, incoming = await answered_call(clients)
    frames = Frames(call.client)

    await call.client.close(hangup=False)

    assert call.end_reason is None
    assert "call.end" not in [m.get("type") for m in frames.sent]
    assert call.client.signaling.closed is not None
    assert call.pc.connectionState == "closed"
    # A normal close is the visitor leaving: the server ends the call at once.
    await incoming.wait_for_state(State.ENDED, timeout=10)
