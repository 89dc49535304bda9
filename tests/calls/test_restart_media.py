"""`call.restart_media`: an ICE-restart re-offer after a network change, by either party."""

import pytest

from supportcall.calls.models import CallEvent
from tests.support.calls import in_call, reoffer, ring, sweep
from tests.support.sdps import ANSWER, OFFER, hold
from tests.support.ws import sync


@pytest.mark.parametrize("who", ["visitor", "agent"])
async def test_either_party_restarts_media_and_the_call_stays_as_it_was(parties, who):
    visitor, alice, call_id = await in_call(parties)
    local, remote = (visitor, alice) if who == "visitor" else (alice, visitor)
    events = await reoffer(local, remote, call_id, "restart_media", OFFER["audio"], ANSWER["audio"])
    # No state changes: only the answer and the result.
    assert [e["type"] for e in events] == ["call.answer", "op.result"]
    await remote.silent()
    names = await sync(lambda: [e.name for e in CallEvent.objects.filter(call_id=call_id)])()
    assert names[-2:] == ["restart_media", "answer"]


async def test_restart_media_works_on_a_held_call(parties):
    visitor, alice, call_id = await in_call(parties)
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    await visitor.until("call.state", call_id=call_id, state="remotely_held")
    await reoffer(visitor, alice, call_id, "restart_media", hold("audio"), hold("audio"))


async def test_an_unanswered_restart_media_fails_with_timeout(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.ok("call.restart_media", call_id=call_id, sdp=OFFER["audio"])
    await alice.event("call.offer", call_id=call_id, op="restart_media")
    await sweep(11)
    result = await visitor.until("op.result", call_id=call_id)
    assert (result["op"], result["ok"], result["code"]) == ("restart_media", False, "timeout")


async def test_restart_media_before_the_answer_is_invalid_state(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.fails("invalid_state", "call.restart_media", call_id=call_id, sdp=OFFER["audio"])
