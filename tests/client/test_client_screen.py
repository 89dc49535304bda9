"""The visitor's screen in the call (docs/protocol.md, "The visitor's screen"), with
real aiortc peers through the real server: the agent asks, only the visitor shares,
the agent decodes the screen's frames apart from any camera, and either side stops.

Frames are counted as the agent's peer decodes them (``frames_received["screen"]``).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from supportcall.client import CallError, OperationFailed, wait_for_flow
from supportcall.client.media import SyntheticVideoTrack
from supportcall.vocabulary import ErrorCode, State
from tests.support.frames import Frames

STOPPED = {"flowing": False, "window": 0.8, "timeout": 8.0}
SCREEN_EVENTS = ("call.screen", "screen.asked", "screen.stop_request", "screen.declined")


def screen_history(record, call):
    """The call's screen events as this party saw them: (type, what they said)."""
    said = []
    for event in record.call_events(call):
        kind = event.get("type")
        if kind in SCREEN_EVENTS:
            said.append((kind, event.get("sharing", event.get("reason"))))
        elif kind == "op.result" and str(event.get("op")).startswith("screen_"):
            said.append((f"op.result {event['op']}", event["ok"]))
    return said


async def screen_frames(call, **how):
    """Wait until the screen's decoded frames grow (or, with STOPPED, stop growing)."""
    return await wait_for_flow(lambda: call.frames_received, "screen", **{"timeout": 8.0, **how})


async def test_the_visitor_shares_its_screen_and_the_agent_decodes_it_then_the_visitor_stops(
    clients,
):
    call, incoming = await clients.answered_call()
    visitor, agent = clients.record(call.client), clients.record(incoming.client)

    await incoming.ask_screen()
    await visitor.event("screen.asked", call)
    assert call.screen_asked == "share"
    await call.screen_start(SyntheticVideoTrack())

    await agent.event("call.screen", incoming, sharing=True)
    assert incoming.remote_screen is True
    mids = [t.mid for t in incoming.pc.getTransceivers()]
    assert incoming.screen_mid == mids[-1] and len(mids) == 3  # audio, camera, screen
    decoded = await screen_frames(incoming)
    assert decoded > 0
    await wait_for_flow(lambda: incoming.frames_received, "screen", timeout=8.0)
    assert incoming.frames_received["screen"] > decoded  # frames keep arriving
    assert incoming.frames_received["video"] == 0  # an audio call: no camera, only the screen
    assert call.screen_asked is None

    await call.screen_stop()

    await agent.event("call.screen", incoming, sharing=False)
    await screen_frames(incoming, **STOPPED)
    assert incoming.remote_screen is False
    assert call.state == incoming.state == State.IN_CALL
    assert screen_history(visitor, call) == [
        ("screen.asked", None),
        ("op.result screen_start", True),
        ("op.result screen_stop", True),
    ]
    assert screen_history(agent, incoming) == [("call.screen", True), ("call.screen", False)]
    assert visitor.states(call) == ["initiated", "ringing", "in_call"]
    assert agent.states(incoming) == ["ringing", "in_call"]


async def test_the_agents_stop_request_reaches_the_visitor_which_stops_and_can_share_again(
    clients,
):
    call, incoming = await clients.answered_call()
    visitor, agent = clients.record(call.client), clients.record(incoming.client)
    await call.screen_start(SyntheticVideoTrack())  # unasked: the visitor may offer it
    await screen_frames(incoming)

    await incoming.ask_screen_stop()

    await visitor.event("screen.stop_request", call)
    assert call.screen_asked == "stop"
    await call.screen_stop()  # what the widget does on screen.stop_request
    await agent.event("call.screen", incoming, sharing=False)
    await screen_frames(incoming, **STOPPED)

    # Again, on the same m-line: the call keeps three.
    await call.screen_start(SyntheticVideoTrack())
    await screen_frames(incoming)
    assert len(incoming.pc.getTransceivers()) == len(call.pc.getTransceivers()) == 3
    assert screen_history(agent, incoming) == [
        ("call.screen", True),
        ("call.screen", False),
        ("call.screen", True),
    ]
    assert screen_history(visitor, call) == [
        ("op.result screen_start", True),
        ("screen.stop_request", None),
        ("op.result screen_stop", True),
        ("op.result screen_start", True),
    ]
    # Other re-offers keep the screen's m-line: hold and unhold still work.
    await call.hold()
    await incoming.wait_for_state(State.REMOTELY_HELD)
    await screen_frames(incoming, **STOPPED)
    await call.unhold()
    await screen_frames(incoming)


async def test_the_visitor_may_stop_sharing_while_the_call_is_held(clients):
    call, incoming = await clients.answered_call()
    await call.screen_start(SyntheticVideoTrack())
    await screen_frames(incoming)
    await incoming.hold()
    await call.wait_for_state(State.REMOTELY_HELD)

    await call.screen_stop()  # the browser's own "Stop sharing" may come at any time

    await clients.record(incoming.client).event("call.screen", incoming, sharing=False)
    await incoming.unhold()
    await call.wait_for_state(State.IN_CALL)
    await screen_frames(incoming, **STOPPED)


async def test_the_visitor_declines_and_the_agent_is_told_why(clients):
    call, incoming = await clients.answered_call()
    agent = clients.record(incoming.client)
    await incoming.ask_screen()
    await clients.record(call.client).event("screen.asked", call)

    await call.decline_screen("not_supported")

    await agent.event("screen.declined", incoming)
    assert incoming.screen_declined == "not_supported"
    await incoming.ask_screen()  # answered: the agent may ask again at once
    await clients.record(call.client).event("screen.asked", call, after=1)
    await call.decline_screen()
    await agent.event("screen.declined", incoming, reason="declined")
    assert screen_history(agent, incoming) == [
        ("screen.declined", "not_supported"),
        ("screen.declined", "declined"),
    ]


async def refused(coro, code):
    with pytest.raises((CallError, OperationFailed)) as caught:
        await coro
    assert caught.value.code == code, caught.value
    return caught.value


async def test_only_the_visitor_shares_and_only_the_agent_asks(clients):
    call, incoming = await clients.answered_call()

    failed = await refused(incoming.screen_start(SyntheticVideoTrack()), ErrorCode.FORBIDDEN)
    assert "screen.ask" in str(failed)
    await refused(incoming.screen_stop(), ErrorCode.FORBIDDEN)
    await refused(call.ask_screen(), ErrorCode.FORBIDDEN)
    await refused(call.ask_screen_stop(), ErrorCode.FORBIDDEN)
    await incoming.ask_screen()
    await refused(incoming.decline_screen(), ErrorCode.FORBIDDEN)

    # The agent's refused screen_start left nothing behind: its next re-offer is good.
    assert len(incoming.pc.getTransceivers()) == 2
    await incoming.hold()
    await call.wait_for_state(State.REMOTELY_HELD)
    assert clients.record(incoming.client).call_events(incoming)[-1]["type"] == "op.result"


async def test_screen_requests_in_the_wrong_state_are_invalid_state(clients):
    call, incoming = await clients.answered_call()

    await refused(call.screen_stop(), ErrorCode.INVALID_STATE)  # nothing shared
    await refused(incoming.ask_screen_stop(), ErrorCode.INVALID_STATE)
    await refused(call.decline_screen(), ErrorCode.INVALID_STATE)  # nobody asked
    await call.hold()
    await refused(call.screen_start(SyntheticVideoTrack()), ErrorCode.INVALID_STATE)
    await refused(incoming.ask_screen(), ErrorCode.INVALID_STATE)
    await call.unhold()
    # The refused start left no m-line behind: sharing now works.
    assert len(call.pc.getTransceivers()) == 2
    await call.screen_start(SyntheticVideoTrack())
    await refused(call.screen_start(SyntheticVideoTrack()), ErrorCode.INVALID_STATE)
    await refused(incoming.ask_screen(), ErrorCode.INVALID_STATE)  # already shared
    await screen_frames(incoming)
    await call.end()
    await refused(
        call.client.signaling.request({"type": "screen.decline", "call_id": call.call_id}),
        ErrorCode.INVALID_STATE,
    )


async def test_asking_again_before_the_visitor_answers_is_rate_limited(clients):
    call, incoming = await clients.answered_call()
    await incoming.ask_screen()

    failed = await refused(incoming.ask_screen(), ErrorCode.RATE_LIMITED)

    assert "has not answered" in str(failed)
    asked = [
        e for e in clients.record(call.client).call_events(call) if e["type"] == "screen.asked"
    ]
    assert len(asked) == 1


async def test_a_second_screen_start_while_one_is_pending_gets_operation_in_progress(clients):
    call, incoming = await clients.answered_call()
    offered = asyncio.Event()

    def never_answered(frame):  # the agent never sees the offer, so never answers
        if frame.get("type") == "call.offer":
            offered.set()
            return True
        return False

    Frames(incoming.client).drop(never_answered)
    first = asyncio.ensure_future(call.screen_start(SyntheticVideoTrack()))
    await asyncio.wait_for(offered.wait(), 10)  # the server holds it pending now

    await refused(
        call.client.signaling.request(
            {"type": "call.screen_start", "call_id": call.call_id, "sdp": call.offer_sdp or "v=0"}
        ),
        ErrorCode.OPERATION_IN_PROGRESS,
    )
    await refused(first, ErrorCode.TIMEOUT)
    assert len(call.pc.getTransceivers()) == 2  # the unanswered start's m-line is gone
    assert incoming.remote_screen is False


async def test_screen_requests_on_an_unknown_call_are_not_found(clients):
    call, incoming = await clients.answered_call()
    other = str(uuid.uuid4())
    sdp = call.pc.localDescription.sdp

    for client, kind in (
        (incoming.client, "screen.ask"),
        (incoming.client, "screen.ask_stop"),
        (call.client, "screen.decline"),
    ):
        await refused(client.signaling.request({"type": kind, "call_id": other}), "not_found")
    await refused(
        call.client.signaling.request({"type": "call.screen_start", "call_id": other, "sdp": sdp}),
        ErrorCode.NOT_FOUND,
    )


async def test_a_screen_start_with_a_bad_sdp_is_refused_and_nothing_changes(clients):
    call, incoming = await clients.answered_call()
    own = call.pc.localDescription.sdp  # the call's two m-lines, no screen
    request = call.client.signaling.request

    def start(sdp):
        return request({"type": "call.screen_start", "call_id": call.call_id, "sdp": sdp})

    failed = await refused(start(own), ErrorCode.BAD_REQUEST)
    assert "add one video m-line" in str(failed)
    screen = own + own[own.index("m=video") :].replace("a=mid:1", "a=mid:2")
    not_sending = screen.replace("a=sendrecv", "a=inactive").replace("a=recvonly", "a=inactive")
    failed = await refused(start(not_sending), ErrorCode.BAD_REQUEST)
    assert "must send the screen" in str(failed)
    no_mid = screen.replace("a=mid:2", "a=x-nomid:2")
    await refused(start(no_mid), ErrorCode.BAD_REQUEST)
    await refused(start("<b>screen</b>"), ErrorCode.BAD_REQUEST)
    await refused(
        call.client.signaling.request(
            {"type": "screen.decline", "call_id": call.call_id, "reason": "<b>no</b>"}
        ),
        ErrorCode.BAD_REQUEST,
    )
    # Nothing changed: a real share works.
    await call.screen_start(SyntheticVideoTrack())
    await screen_frames(incoming)


async def test_a_resumed_agent_is_told_the_screen_is_shared_and_a_resumed_visitor_the_ask(
    clients,
):
    call, incoming = await clients.answered_call()
    agent = clients.record(incoming.client)
    await call.screen_start(SyntheticVideoTrack())
    await agent.event("call.screen", incoming, sharing=True)
    mark = agent.mark(incoming)

    incoming.client.signaling.abort()  # no close frame: the network dropped

    replayed = await agent.event("call.screen", incoming, after=mark, sharing=True, timeout=15)
    assert replayed["mid"] == incoming.screen_mid
    await screen_frames(incoming)  # the media never stopped

    await call.screen_stop()
    await agent.event("call.screen", incoming, after=mark, sharing=False)
    await incoming.ask_screen()
    visitor = clients.record(call.client)
    await visitor.event("screen.asked", call)
    mark = visitor.mark(call)
    call.client.signaling.abort()
    await visitor.event("screen.asked", call, after=mark, timeout=15)
    assert call.screen_asked == "share"
