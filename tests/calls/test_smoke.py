from tests.support.sdps import ANSWER, OFFER
from tests.support.ws import addr


async def test_a_visitor_calls_the_queue_and_alice_answers(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    call_id = ack["call_id"]
    incoming = await alice.event("call.incoming", call_id=call_id, media="audio")
    assert incoming["from"]["anonymous"] is True
    await alice.event("call.state", state="ringing")
    await alice.ok("call.accept", call_id=call_id, video=False, sdp=ANSWER["audio"])
    assert await visitor.states(call_id, until="in_call") == ["initiated", "ringing", "in_call"]
