"""A verified visitor's signed fields reach the agent apart from the page's context."""

from supportcall.calls.models import Call
from tests.support.identity import secret_for, sign
from tests.support.sdps import OFFER
from tests.support.ws import addr, resume, sync

VERIFIED = {
    "sub": "customer-42",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "attributes": {"plan": "gold"},
}


async def test_the_agent_receives_the_signed_fields_as_verified_apart_from_the_context(parties):
    token = sign(await sync(secret_for)())
    alice = await parties("alice")
    visitor = await parties(
        "visitor", identity=token, display_name="Ada", context={"plan": "platinum (unsigned)"}
    )
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    incoming = await alice.event("call.incoming", call_id=ack["call_id"])
    assert incoming["from"] == {
        "address": visitor.identity,
        "display_name": "Ada",
        "anonymous": True,
        "context": {"plan": "platinum (unsigned)"},
        "verified": VERIFIED,
        "check": None,  # no check before the call (supportcall/precall)
    }
    row = await sync(Call.objects.get)(id=ack["call_id"])
    assert (row.caller_verified, row.caller_context) == (
        VERIFIED,
        {"plan": "platinum (unsigned)"},
    )


async def test_a_visitor_who_resumes_its_connection_stays_verified(parties):
    token = sign(await sync(secret_for)())
    alice = await parties("alice")
    visitor = await parties("visitor", identity=token)
    await visitor.close()
    back = await resume(visitor)
    try:
        ack = await back.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
        incoming = await alice.event("call.incoming", call_id=ack["call_id"])
        assert incoming["from"]["verified"] == VERIFIED
    finally:
        await back.close()
