"""call.create's optional check: validated, kept on the call, handed to the agents rung."""

from __future__ import annotations

import pytest

from supportcall.calls.admin import CallAdmin
from supportcall.calls.models import Call
from tests.support.sdps import OFFER
from tests.support.ws import addr, sync

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_calls_check_reaches_the_agent_and_the_record_with_the_servers_verdict(parties):
    agent = await parties("alice")
    await agent.ok("presence.set", status="available")
    visitor = await parties("visitor")
    # The client says good, but its check went through the relay: the server's word wins.
    check = {"verdict": "good", "connected": True, "candidate_type": "relay", "rtt_ms": 42.5}
    ack = await visitor.ok(
        "call.create", to=addr("support"), media="audio", sdp=OFFER["audio"], check=check
    )
    incoming = await agent.until("call.incoming", call_id=ack["call_id"])
    kept = {"verdict": "relay_only", "connected": True, "candidate_type": "relay",
            "rtt_ms": 42.5, "loss_pct": None}  # fmt: skip
    assert incoming["from"]["check"] == kept
    row = await sync(Call.objects.get)(id=ack["call_id"])
    assert row.caller_check == kept
    shown = CallAdmin(Call, None).check_before_the_call(row)
    assert shown == "Their network only works through our relay; path: relay; round trip 42 ms"


async def test_a_call_without_a_check_says_none(parties):
    agent = await parties("alice")
    await agent.ok("presence.set", status="available")
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    incoming = await agent.until("call.incoming", call_id=ack["call_id"])
    assert incoming["from"]["check"] is None
    row = await sync(Call.objects.get)(id=ack["call_id"])
    shown = CallAdmin(Call, None).check_before_the_call(row)
    assert shown == "The caller did not check before calling"


@pytest.mark.parametrize(
    ("check", "says"),
    [
        ("good", "'check' must be an object"),
        ({"connected": True, "loss_pct": -3}, "'check.loss_pct' must be a number from 0 to 100"),
        ({"connected": True, "verdict": "<script>"}, "'check.verdict' must be one of"),
        ({"connected": True, "extra": 1}, "'check' takes only"),
    ],
)
async def test_a_call_with_a_check_that_is_not_one_is_refused_and_not_made(parties, check, says):
    visitor = await parties("visitor")
    reply = await visitor.fails(
        "bad_request", "call.create", to=addr("support"), media="audio", sdp=OFFER["audio"],
        check=check,
    )  # fmt: skip
    assert says in reply["message"]
    assert await sync(Call.objects.count)() == 0
