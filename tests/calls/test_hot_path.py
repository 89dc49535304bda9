"""The hot path: an answered call's candidates and the heartbeat need no database (issue 9).

A connection learns where its answered calls' candidates go from the changes
that decide it (accept, resume, the end; see routes.py). These tests check
that the shortcut is taken, and that it is never wrong: after a forward, after
a resume, after the end, and for someone who is not in the call.
"""

from __future__ import annotations

import pytest

from supportcall.calls.routes import REMEMBERED, Routes
from tests.support.calls import answer, in_call, ring
from tests.support.queries import queries
from tests.support.ws import addr, resume

CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.9 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}
LAST = {**CANDIDATE, "candidate": "candidate:2 1 udp 2122260223 192.0.2.10 50001 typ host"}


def candidate(call_id, value=CANDIDATE):
    return {"type": "ice.candidate", "call_id": call_id, "candidate": value}


async def test_an_answered_calls_candidates_go_both_ways_without_a_query(parties, monkeypatch):
    visitor, alice, call_id = await in_call(parties)
    with queries(monkeypatch) as sql:
        await visitor.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
        assert await alice.events(1) == [candidate(call_id)]
        await alice.ok("ice.candidate", call_id=call_id, candidate=LAST)
        assert await visitor.events(1) == [candidate(call_id, LAST)]
        await visitor.ok("ice.candidate", call_id=call_id, candidate=None)  # end of candidates
        assert await alice.events(1) == [candidate(call_id, None)]
    assert sql == []


async def test_a_ping_needs_no_query(parties, monkeypatch):
    visitor = await parties("visitor")
    with queries(monkeypatch) as sql:
        await visitor.send({"type": "ping", "id": "p1"})
        assert await visitor.event("ack") == {"type": "ack", "id": "p1"}
    assert sql == []


async def test_after_a_forward_candidates_reach_the_agent_who_answered(parties, monkeypatch):
    alice, bob = await parties("alice"), await parties("bob")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, to="alice")
    await alice.ok("call.forward", call_id=call_id, to=addr("bob"))
    assert [e["type"] for e in await alice.events(2)] == ["call.state", "op.result"]
    await bob.event("call.incoming", call_id=call_id)
    await bob.event("call.state", state="ringing", previous=None)
    await answer(visitor, bob, call_id)
    with queries(monkeypatch) as sql:
        await visitor.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
        assert await bob.events(1) == [candidate(call_id)]
        await bob.ok("ice.candidate", call_id=call_id, candidate=LAST)
        assert await visitor.events(1) == [candidate(call_id, LAST)]
    assert sql == []
    await alice.silent()


async def test_after_a_resume_candidates_reach_the_new_connection_and_come_from_it(
    parties, monkeypatch
):
    visitor, alice, call_id = await in_call(parties)
    await visitor.close()
    await alice.event("call.media", connection="reconnecting")
    back = await resume(visitor)
    await back.event("call.state", resumed=True)
    await back.event("call.media")
    await alice.event("call.media", connection="connected")
    with queries(monkeypatch) as sql:
        await alice.ok("ice.candidate", call_id=call_id, candidate=CANDIDATE)
        assert await back.events(1) == [candidate(call_id)]
        await back.ok("ice.candidate", call_id=call_id, candidate=LAST)
        assert await alice.events(1) == [candidate(call_id, LAST)]
    assert sql == []
    await back.close()


async def test_after_the_end_a_candidate_reaches_nobody_and_is_refused(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await visitor.until("op.result", call_id=call_id, op="end")
    await visitor.fails("invalid_state", "ice.candidate", call_id=call_id, candidate=CANDIDATE)
    await alice.fails("invalid_state", "ice.candidate", call_id=call_id, candidate=CANDIDATE)
    await alice.silent()
    await visitor.silent()


async def test_a_candidate_sent_right_after_ones_own_end_reaches_nobody(parties):
    visitor, alice, call_id = await in_call(parties)
    # No waiting for the end's events: the next frame already finds the route gone.
    await alice.send({"type": "call.end", "id": "e", "call_id": call_id})
    await alice.send({"type": "ice.candidate", "id": "c", "call_id": call_id, "candidate": LAST})
    replies = [await alice.until("ack", id="e"), await alice.until("error", id="c")]
    assert replies[1]["code"] == "invalid_state"
    events = [await visitor.receive() for _ in range(1)]
    assert events == [
        {
            "type": "call.state",
            "call_id": call_id,
            "state": "ended",
            "previous": "in_call",
            "reason": "ended_by_remote",
        }
    ]
    await visitor.silent()


async def test_someone_not_in_the_call_gets_not_found_for_its_candidates(parties):
    visitor, alice, call_id = await in_call(parties)
    stranger = await parties("visitor")
    bob = await parties("bob")
    await stranger.fails("not_found", "ice.candidate", call_id=call_id, candidate=CANDIDATE)
    await bob.fails("not_found", "ice.candidate", call_id=call_id, candidate=CANDIDATE)
    await alice.silent()
    await visitor.silent()


def test_a_late_route_never_overrides_a_newer_one_nor_revives_an_ended_call():
    routes = Routes()
    routes.learn({"call_id": "c1", "version": 1, "peer": "agent-1"})
    assert routes.peer("c1") == "agent-1"
    routes.learn({"call_id": "c1", "version": 3, "peer": "agent-2"})  # a resume
    routes.learn({"call_id": "c1", "version": 2, "peer": "agent-1"})  # late
    assert routes.peer("c1") == "agent-2"
    routes.learn({"call_id": "c1", "version": 4, "peer": ""})  # the end
    routes.learn({"call_id": "c1", "version": 3, "peer": "agent-2"})  # late again
    assert routes.peer("c1") == ""
    assert routes.peer("never-heard-of") == ""


@pytest.mark.parametrize("calls", [REMEMBERED + 1, 3 * REMEMBERED])
def test_a_connection_remembers_a_bounded_number_of_calls_the_newest_kept(calls):
    routes = Routes()
    for n in range(calls):
        routes.learn({"call_id": f"c{n}", "version": 1, "peer": f"p{n}"})
    assert len(routes._known) == REMEMBERED
    assert routes.peer(f"c{calls - 1}") == f"p{calls - 1}"
    assert routes.peer("c0") == ""  # forgotten: the database's way again
