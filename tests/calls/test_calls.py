"""Every operation of the contract, driven through the whole ASGI application."""

import pytest

from supportcall.calls.models import Call, CallEvent, Leg
from supportcall.directory.models import Queue
from tests.support.calls import answer, in_call, reoffer, ring, sweep
from tests.support.sdps import ANSWER, OFFER, hold, unhold, video_start, video_stop
from tests.support.ws import addr, sync


def state(call_id, new, previous, reason=None):
    event = {"type": "call.state", "call_id": call_id, "state": new, "previous": previous}
    if reason:
        event["reason"] = reason
    return event


def result(call_id, op):
    return {"type": "op.result", "call_id": call_id, "op": op, "ok": True}


async def record(call_id) -> Call:
    return await sync(Call.objects.get)(id=call_id)


async def log(call_id) -> list[str]:
    return await sync(lambda: [e.name for e in CallEvent.objects.filter(call_id=call_id)])()


# --- placing and answering ------------------------------------------------


@pytest.mark.parametrize("media", ["audio", "video", "audio_single"])
async def test_a_call_to_the_queue_rings_every_connected_agent_and_the_first_accept_wins(
    parties, media
):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor", display_name="Ada", context={"page": "/cart"})
    call_id = await ring(visitor, alice, bob, media=media)
    await answer(visitor, alice, call_id, media, video=media == "video")
    assert await bob.events(1) == [state(call_id, "ended", "ringing", "answered_elsewhere")]
    row = await record(call_id)
    assert (row.phase, row.media, row.caller_display_name, row.caller_context) == (
        "answered",
        media,
        "Ada",
        {"page": "/cart"},
    )
    assert row.agent_video is (media == "video")
    assert await log(call_id) == ["create", "ring", "accept"]


async def test_call_incoming_tells_the_agent_who_calls_and_what_was_called(parties):
    alice = await parties("alice")
    visitor = await parties("visitor", display_name="Ada", context={"order": "42"})
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    incoming = await alice.event("call.incoming")
    assert incoming == {
        "type": "call.incoming",
        "call_id": ack["call_id"],
        "from": {
            "address": visitor.identity,
            "display_name": "Ada",
            "anonymous": True,
            "context": {"order": "42"},
            "verified": None,
            "check": None,  # no check before the call
        },
        "to": addr("support"),
        "media": "audio",
        "sdp": OFFER["audio"],
    }


async def test_create_without_to_calls_the_sites_first_queue(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", media="audio", sdp=OFFER["audio"])
    incoming = await alice.event("call.incoming", call_id=ack["call_id"])
    assert incoming["to"] == addr("support")


async def test_a_visitor_can_call_an_agent_of_the_sites_queue_directly(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob, to="bob")
    await alice.silent()
    await answer(visitor, bob, call_id)


async def test_a_call_with_no_connected_agent_ends_no_agents(parties):
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    call_id = ack["call_id"]
    assert await visitor.events(2) == [
        state(call_id, "initiated", None),
        state(call_id, "ended", "initiated", "no_agents"),
    ]
    row = await record(call_id)
    assert (row.phase, row.end_reason, row.ended is not None) == ("ended", "no_agents", True)
    assert await log(call_id) == ["create", "no_agents"]


async def test_an_away_agent_is_not_rung(parties):
    alice, bob = await parties("alice"), await parties("bob")
    await alice.ok("presence.set", status="away")
    await alice.event("presence", status="away")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob)
    await alice.silent()
    await bob.ok("call.reject", call_id=call_id)


async def test_presence_is_remembered_across_connections(parties):
    alice = await parties("alice")
    await alice.ok("presence.set", status="away")
    await alice.close()
    again = await parties("alice")
    assert again.hello["presence"] == "away"


async def test_an_agent_in_a_call_is_not_rung_for_another(parties):
    _visitor, alice, _call_id = await in_call(parties)
    bob = await parties("bob")
    second = await parties("visitor")
    await ring(second, bob)
    await alice.silent()


async def test_an_agent_with_two_tabs_rings_on_both_and_answering_on_one_stops_the_other(parties):
    tab1, tab2 = await parties("alice"), await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, tab1, tab2)
    await answer(visitor, tab1, call_id)
    assert await tab2.events(1) == [state(call_id, "ended", "ringing", "answered_elsewhere")]
    await tab1.silent()


async def test_two_agents_accepting_the_same_call_give_exactly_one_winner(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await alice.ok("call.accept", call_id=call_id, video=False, sdp=ANSWER["audio"])
    late = await bob.request("call.accept", call_id=call_id, video=False, sdp=ANSWER["audio"])
    assert late["type"] == "error" and late["code"] == "invalid_state"
    legs = await sync(
        lambda: sorted(Leg.objects.values_list("agent__user__username", "status", "reason"))
    )()
    assert legs == [("alice", "answered", ""), ("bob", "ended", "answered_elsewhere")]


# --- reject, ignore, forward, cancel ----------------------------------------


async def test_reject_of_a_direct_call_ends_it_rejected_for_both(parties):
    bob = await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob, to="bob")
    await bob.ok("call.reject", call_id=call_id)
    assert await bob.events(2) == [
        state(call_id, "ended", "ringing", "rejected"),
        result(call_id, "reject"),
    ]
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "rejected")]
    assert (await record(call_id)).end_reason == "rejected"


async def test_reject_by_one_of_two_ringing_agents_keeps_ringing_the_other(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await alice.ok("call.reject", call_id=call_id)
    assert await alice.events(2) == [
        state(call_id, "ended", "ringing", "rejected"),
        result(call_id, "reject"),
    ]
    await visitor.silent()
    await answer(visitor, bob, call_id)


async def test_ignore_stops_the_ringing_at_that_agent_only_and_the_caller_is_not_told(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await alice.ok("call.ignore", call_id=call_id)
    assert await alice.events(2) == [
        state(call_id, "ended", "ringing", "ignored"),
        result(call_id, "ignore"),
    ]
    await visitor.silent()
    await bob.silent()
    await alice.fails("invalid_state", "call.accept", call_id=call_id, sdp=ANSWER["audio"])
    await answer(visitor, bob, call_id)


async def test_an_ignored_direct_call_rings_until_its_ring_timeout_no_answer(parties):
    bob = await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob, to="bob")
    await bob.ok("call.ignore", call_id=call_id)
    await bob.events(2)
    await visitor.silent()  # the caller is not told
    await sweep(in_seconds=31)
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "no_answer")]
    assert (await record(call_id)).end_reason == "no_answer"


async def test_an_ignored_call_in_a_queue_that_waits_anyway_waits_until_its_maximum_wait(
    parties,
):
    await sync(lambda: Queue.objects.filter(name="support").update(wait_when_empty=True))()
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.ok("call.ignore", call_id=call_id)
    await alice.events(2)
    assert await visitor.events(2) == [
        state(call_id, "queued", "ringing"),
        {
            "type": "queue.position",
            "call_id": call_id,
            "position": 1,
            "agents_available": 0,  # alice ignored it: she is free, not for this call
            "estimated_wait_s": 30,
        },
    ]
    await sweep(in_seconds=301)
    assert await visitor.events(1) == [state(call_id, "ended", "queued", "no_answer")]
    assert (await record(call_id)).end_reason == "no_answer"


async def test_an_unanswered_direct_call_ends_no_answer_after_the_ring_timeout(parties):
    bob = await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob, to="bob")
    await sweep(in_seconds=5)
    await visitor.silent()
    await sweep(in_seconds=31)
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "no_answer")]
    assert await bob.events(1) == [state(call_id, "ended", "ringing", "no_answer")]
    assert await log(call_id) == ["create", "ring", "no_answer"]


async def test_forward_ends_the_call_for_the_forwarding_agent_and_rings_the_target(parties):
    alice, bob = await parties("alice"), await parties("bob")
    await bob.ok("presence.set", status="away")
    await bob.event("presence")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
    await alice.event("ice.candidate", candidate=CANDIDATE)
    await bob.ok("presence.set", status="available")
    await bob.event("presence")
    await alice.ok("call.forward", call_id=call_id, to=addr("bob"))
    assert await alice.events(2) == [
        state(call_id, "ended", "ringing", "forwarded"),
        result(call_id, "forward"),
    ]
    incoming = await bob.event("call.incoming", call_id=call_id, to=addr("bob"))
    assert incoming["sdp"] == OFFER["audio"]  # the caller's original offer
    await bob.event("call.state", state="ringing")
    await bob.event("ice.candidate", candidate=CANDIDATE)  # the caller's candidates so far
    await visitor.silent()
    await answer(visitor, bob, call_id)
    assert (await record(call_id)).agent_id is not None
    assert await log(call_id) == ["create", "ring", "forward", "ring", "accept"]


async def test_forward_to_a_queue_rings_its_free_agents_but_not_the_forwarder(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, to="alice")
    await alice.ok("call.forward", call_id=call_id, to=addr("support"))
    await alice.events(2)
    await bob.event("call.incoming", call_id=call_id, to=addr("support"))


async def test_forward_to_an_agent_already_ringing_for_the_call_rings_it_anew(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await alice.ok("call.forward", call_id=call_id, to=addr("bob"))
    assert await bob.events(1) == [state(call_id, "ended", "ringing", "answered_elsewhere")]
    await bob.event("call.incoming", call_id=call_id, to=addr("bob"))
    await bob.event("call.state", state="ringing")
    await answer(visitor, bob, call_id)


async def test_forward_stops_the_ringing_at_the_other_agents(parties):
    alice, bob = await parties("alice"), await parties("bob")
    carol = await parties("carol")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await alice.ok("call.forward", call_id=call_id, to=addr("carol"))
    assert await bob.events(1) == [state(call_id, "ended", "ringing", "answered_elsewhere")]
    await carol.event("call.incoming", call_id=call_id)


async def test_forward_to_nobody_available_fails_and_the_call_keeps_ringing(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    reply = await alice.fails("not_found", "call.forward", call_id=call_id, to=addr("bob"))
    assert "bob" in reply["message"]
    await alice.fails("not_found", "call.forward", call_id=call_id, to=addr("nobody"))
    await alice.fails("bad_request", "call.forward", call_id=call_id, to=addr("alice"))
    await visitor.silent()
    await answer(visitor, alice, call_id)


async def test_forward_to_a_queue_where_nobody_else_could_answer_fails_and_the_call_rings_on(
    parties,
):
    alice, bob = await parties("alice"), await parties("bob")
    await bob.ok("presence.set", status="away")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, to="alice")
    reply = await alice.fails("not_found", "call.forward", call_id=call_id, to=addr("support"))
    assert "support" in reply["message"]
    await visitor.silent()
    await answer(visitor, alice, call_id)


async def test_the_caller_cancels_while_ringing(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await visitor.ok("call.end", call_id=call_id)
    assert await visitor.events(2) == [
        state(call_id, "ended", "ringing", "ended_by_local"),
        result(call_id, "end"),
    ]
    for agent in (alice, bob):
        assert await agent.events(1) == [state(call_id, "ended", "ringing", "cancelled")]
    row = await record(call_id)
    assert (row.end_reason, row.ended_by) == ("ended_by_local", "caller")


async def test_an_agent_ending_a_direct_call_still_ringing_rejects_it(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, to="alice")
    await alice.ok("call.end", call_id=call_id)
    assert await alice.events(2) == [
        state(call_id, "ended", "ringing", "rejected"),
        result(call_id, "end"),
    ]
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "rejected")]


# --- in a call --------------------------------------------------------------


@pytest.mark.parametrize("ender", ["visitor", "agent"])
async def test_either_party_ends_an_answered_call(parties, ender):
    visitor, alice, call_id = await in_call(parties)
    local, remote = (visitor, alice) if ender == "visitor" else (alice, visitor)
    await local.ok("call.end", call_id=call_id)
    assert await local.events(2) == [
        state(call_id, "ended", "in_call", "ended_by_local"),
        result(call_id, "end"),
    ]
    assert await remote.events(1) == [state(call_id, "ended", "in_call", "ended_by_remote")]
    row = await record(call_id)
    assert row.ended_by == ("caller" if ender == "visitor" else "agent")
    assert row.answered and row.ended


@pytest.mark.parametrize("holder", ["visitor", "agent"])
async def test_hold_and_unhold_are_re_offers_finished_by_the_other_partys_answer(parties, holder):
    visitor, alice, call_id = await in_call(parties)
    local, remote = (visitor, alice) if holder == "visitor" else (alice, visitor)
    events = await reoffer(local, remote, call_id, "hold", hold("audio"), hold("audio"))
    assert events[1:] == [state(call_id, "on_hold", "in_call"), result(call_id, "hold")]
    assert await remote.events(1) == [state(call_id, "remotely_held", "in_call")]
    events = await reoffer(local, remote, call_id, "unhold", unhold("audio"), ANSWER["audio"])
    assert events[1:] == [state(call_id, "in_call", "on_hold"), result(call_id, "unhold")]
    assert await remote.events(1) == [state(call_id, "in_call", "remotely_held")]
    assert await log(call_id) == ["create", "ring", "accept", "hold", "answer", "unhold", "answer"]


async def test_double_hold_and_its_unwinding(parties):
    visitor, alice, call_id = await in_call(parties)
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    await visitor.event("call.state", state="remotely_held")
    events = await reoffer(visitor, alice, call_id, "hold", hold("audio"), hold("audio"))
    assert events[1] == state(call_id, "on_double_hold", "remotely_held")
    assert await alice.events(1) == [state(call_id, "on_double_hold", "on_hold")]
    events = await reoffer(alice, visitor, call_id, "unhold", unhold("audio"), hold("audio"))
    assert events[1] == state(call_id, "remotely_held", "on_double_hold")
    assert await visitor.events(1) == [state(call_id, "on_hold", "on_double_hold")]
    events = await reoffer(visitor, alice, call_id, "unhold", unhold("audio"), ANSWER["audio"])
    assert events[1] == state(call_id, "in_call", "on_hold")
    assert await alice.events(1) == [state(call_id, "in_call", "remotely_held")]


async def test_hold_on_a_held_call_fails_with_invalid_state(parties):
    visitor, alice, call_id = await in_call(parties)
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    await alice.fails("invalid_state", "call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.event("call.state", state="remotely_held")
    await visitor.fails("invalid_state", "call.unhold", call_id=call_id, sdp=unhold("audio"))


async def test_an_unanswered_re_offer_fails_with_timeout_and_changes_nothing(parties):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.event("call.offer", op="hold")
    await sweep(in_seconds=11)
    timeout = await alice.event("op.result", call_id=call_id, op="hold", ok=False, code="timeout")
    assert timeout["message"]
    await visitor.silent()
    row = await record(call_id)
    assert (row.phase, row.held_by_agent, row.op) == ("answered", False, "")
    late = await visitor.request("call.answer", call_id=call_id, sdp=hold("audio"))
    assert late["code"] == "invalid_state"
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    assert await log(call_id) == ["create", "ring", "accept", "hold", "timeout", "hold", "answer"]


async def test_one_operation_at_a_time_from_either_party(parties):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await alice.fails("operation_in_progress", "call.mute", call_id=call_id)
    await visitor.fails("operation_in_progress", "call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.fails(
        "operation_in_progress", "call.video_start", call_id=call_id, sdp=video_start()
    )
    await visitor.event("call.offer", op="hold")
    await visitor.ok("call.answer", call_id=call_id, sdp=hold("audio"))
    await alice.event("call.answer")
    await alice.event("call.state", state="on_hold")
    await alice.event("op.result", op="hold", ok=True)
    await alice.ok("call.unhold", call_id=call_id, sdp=unhold("audio"))  # free again


async def test_ending_is_never_blocked_by_an_operation_in_progress(parties):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.event("call.offer", op="hold")
    await visitor.ok("call.end", call_id=call_id)
    assert await alice.events(2) == [
        state(call_id, "ended", "in_call", "ended_by_remote"),
        {
            "type": "op.result",
            "call_id": call_id,
            "op": "hold",
            "ok": False,
            "code": "invalid_state",
            "message": "the call ended before the operation finished",
        },
    ]


async def test_video_start_on_an_audio_call_and_stop_again(parties):
    visitor, alice, call_id = await in_call(parties, media="audio")
    events = await reoffer(alice, visitor, call_id, "video_start", video_start(), video_start())
    assert events[1:] == [result(call_id, "video_start")]
    assert await visitor.events(1) == [
        {"type": "call.media", "call_id": call_id, "muted": False, "video": True}
    ]
    assert (await record(call_id)).agent_video is True
    await alice.fails("invalid_state", "call.video_start", call_id=call_id, sdp=video_start())
    await reoffer(alice, visitor, call_id, "video_stop", video_stop(), video_stop())
    assert await visitor.events(1) == [
        {"type": "call.media", "call_id": call_id, "muted": False, "video": False}
    ]
    await alice.fails("invalid_state", "call.video_stop", call_id=call_id, sdp=video_stop())


async def test_video_on_an_audio_single_call_is_not_supported(parties):
    visitor, alice, call_id = await in_call(parties, media="audio_single")
    await visitor.fails(
        "not_supported", "call.video_start", call_id=call_id, sdp=OFFER["audio_single"]
    )
    await alice.fails(
        "not_supported", "call.video_stop", call_id=call_id, sdp=OFFER["audio_single"]
    )


async def test_accepting_with_video_a_call_offered_without_video_is_not_supported(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, media="audio")
    await alice.fails(
        "not_supported", "call.accept", call_id=call_id, video=True, sdp=ANSWER["audio"]
    )
    await answer(visitor, alice, call_id, "audio")


@pytest.mark.parametrize("who", ["visitor", "agent"])
async def test_mute_and_unmute_tell_the_other_party(parties, who):
    visitor, alice, call_id = await in_call(parties, media="video")
    local, remote = (visitor, alice) if who == "visitor" else (alice, visitor)
    await local.ok("call.mute", call_id=call_id)
    assert await local.events(1) == [result(call_id, "mute")]
    video = who == "visitor"  # the visitor offered video; the agent accepted without
    assert await remote.events(1) == [
        {"type": "call.media", "call_id": call_id, "muted": True, "video": video}
    ]
    await local.fails("invalid_state", "call.mute", call_id=call_id)
    await local.ok("call.unmute", call_id=call_id)
    assert await remote.events(1) == [
        {"type": "call.media", "call_id": call_id, "muted": False, "video": video}
    ]
    await local.events(1)
    await local.fails("invalid_state", "call.unmute", call_id=call_id)


CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.9 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


async def test_ice_candidates_are_relayed_both_ways(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
    assert await alice.events(1) == [
        {"type": "ice.candidate", "call_id": call_id, "candidate": CANDIDATE}
    ]
    await alice.ok("ice.candidate", call_id=call_id, candidate=None)
    assert await visitor.events(1) == [
        {"type": "ice.candidate", "call_id": call_id, "candidate": None}
    ]


async def test_the_callers_early_candidates_reach_every_ringing_agent(parties):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, bob)
    await visitor.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
    for agent in (alice, bob):
        await agent.event("ice.candidate", candidate=CANDIDATE)


async def test_an_agent_cannot_send_candidates_before_accepting(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.fails("invalid_state", "ice.candidate", call_id=call_id, candidate=CANDIDATE)


# --- connections (see tests/calls/test_resume.py for coming back) --------------


def media(call_id, connection, muted=False, video=False):
    return {
        "type": "call.media",
        "call_id": call_id,
        "muted": muted,
        "video": video,
        "connection": connection,
    }


async def test_a_visitor_disconnecting_ends_its_call_connection_lost_once_the_grace_runs_out(
    parties,
):
    visitor, alice, call_id = await in_call(parties)
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    await sweep(in_seconds=19)
    await alice.silent()
    await sweep(in_seconds=21)
    assert await alice.events(1) == [state(call_id, "ended", "in_call", "connection_lost")]
    row = await record(call_id)
    assert (row.end_reason, row.ended_by) == ("connection_lost", "caller")
    assert await log(call_id) == [
        "create",
        "ring",
        "accept",
        "connection_dropped",
        "connection_lost",
    ]


async def test_an_agent_disconnecting_ends_its_call_connection_lost_once_the_grace_runs_out(
    parties,
):
    visitor, alice, call_id = await in_call(parties)
    await alice.close()
    assert await visitor.events(1) == [media(call_id, "reconnecting")]
    await sweep(in_seconds=21)
    assert await visitor.events(1) == [state(call_id, "ended", "in_call", "connection_lost")]


async def test_the_last_agent_online_disconnecting_while_ringing_ends_the_call_no_agents(
    parties,
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.close()
    await visitor.silent()  # alice may come back: her leg keeps ringing meanwhile
    await sweep(in_seconds=21)
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "no_agents")]


async def test_the_agent_rung_by_a_direct_call_disconnecting_ends_it_no_answer(parties):
    bob = await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, bob, to="bob")
    await bob.close()
    await sweep(in_seconds=21)
    assert await visitor.events(1) == [state(call_id, "ended", "ringing", "no_answer")]


async def test_an_agent_closing_one_of_two_tabs_keeps_ringing_on_the_other(parties):
    tab1, tab2 = await parties("alice"), await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, tab1, tab2)
    await tab1.close()
    await visitor.silent()
    await answer(visitor, tab2, call_id)


async def test_a_visitor_disconnecting_while_ringing_cancels_for_the_agents_after_the_grace(
    parties,
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.close()
    await alice.silent()
    await sweep(in_seconds=21)
    assert await alice.events(1) == [state(call_id, "ended", "ringing", "connection_lost")]


async def test_a_visitor_who_closes_normally_ends_its_call_at_once(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.leave()
    assert await alice.events(1) == [state(call_id, "ended", "in_call", "connection_lost")]


async def test_an_agent_who_closes_normally_is_offline_at_once(parties):
    alice = await parties("alice")
    await alice.leave()
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    assert await visitor.events(2) == [
        state(ack["call_id"], "initiated", None),
        state(ack["call_id"], "ended", "initiated", "no_agents"),
    ]
