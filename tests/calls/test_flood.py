"""One client cannot flood a line: the work its frames cause is bounded (issue 10, item 2).

Frames are counted as they arrive and refused without database work; a visitor
holds one open call, a site a bounded number, a queue a bounded number of
waiting callers; a site's anonymous logins are counted across every address.
"""

from __future__ import annotations

import ipaddress
import json
import time

from django.test import Client

from supportcall.calls.consumers import CallConsumer
from supportcall.calls.models import Call
from supportcall.directory.models import Queue
from tests.support.calls import in_call, ring
from tests.support.sdps import OFFER
from tests.support.ws import SHOP, addr, sync

SUPPORT = addr("support")
FLOOD = 600


async def count_calls(**filters) -> int:
    return await sync(lambda: Call.objects.filter(**filters).count())()


async def test_a_visitor_has_one_open_call_at_a_time(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    refused = await visitor.fails(
        "rate_limited", "call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"]
    )
    assert "open call" in refused["message"]
    assert await count_calls(caller_identity=visitor.identity) == 1
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await visitor.until("op.result", call_id=call_id, op="end")
    await ring(visitor, alice)  # the call ended: the visitor may call again


async def test_a_site_holds_at_most_SUPPORTCALL_SITE_CALLS_open_calls(parties, settings):
    settings.SUPPORTCALL_SITE_CALLS = 2
    await sync(lambda: Queue.objects.filter(name="support").update(wait_when_empty=True))()
    first, second, third = [await parties("visitor") for _ in range(3)]
    for visitor in (first, second):
        await visitor.ok("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
    refused = await third.fails(
        "rate_limited", "call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"]
    )
    assert "too many calls" in refused["message"]
    assert await count_calls() == 2


async def test_a_queue_holds_at_most_SUPPORTCALL_QUEUE_WAITING_waiting_callers(parties, settings):
    settings.SUPPORTCALL_QUEUE_WAITING = 2
    await sync(lambda: Queue.objects.filter(name="support").update(wait_when_empty=True))()
    callers = [await parties("visitor") for _ in range(3)]
    for caller in callers[:2]:
        await caller.ok("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
        await caller.until("call.state", state="queued")
    refused = await callers[2].fails(
        "rate_limited", "call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"]
    )
    assert "2 callers waiting" in refused["message"]
    assert await count_calls(phase="queued") == 2


async def test_an_agent_cannot_forward_a_call_into_a_full_queue(parties, settings):
    settings.SUPPORTCALL_QUEUE_WAITING = 1
    await sync(lambda: Queue.objects.filter(name="support").update(wait_when_empty=True))()
    waiting = await parties("visitor")
    await waiting.ok("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
    await waiting.until("call.state", state="queued")
    carol = await parties("carol")
    caller = await parties("visitor", site="other", origin="http://other.test")
    call_id = await ring(caller, carol, to="billing")
    await carol.fails("rate_limited", "call.forward", call_id=call_id, to=SUPPORT)
    assert await count_calls(phase="queued") == 1


def test_a_sites_anonymous_logins_are_counted_across_all_addresses(directory, settings):
    settings.SUPPORTCALL_SITE_LOGIN_RATE = 3
    settings.SUPPORTCALL_TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.0/8")]

    def login(site: str, address: str, origin: str = SHOP):
        return Client().post(
            "/api/v1/anonymous-login",
            {"site": site},
            content_type="application/json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=address,
            HTTP_ORIGIN=origin,
        )

    # Each address is far under SUPPORTCALL_LOGIN_RATE; the site's budget runs out.
    codes = [login("shop", f"198.51.100.{n}").status_code for n in range(1, 6)]
    assert codes == [201, 201, 201, 429, 429]
    refused = login("shop", "198.51.100.77")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["Retry-After"] == "60"
    # Another site has its own budget.
    assert login("other", "198.51.100.1", "http://other.test").status_code == 201


async def round_trip(party, op: str, call_id: str) -> float:
    started = time.monotonic()
    await party.ok(op, call_id=call_id)
    return time.monotonic() - started


async def round_trips(party, call_id: str, n: int = 10) -> list[float]:
    times = []
    for i in range(n):
        times.append(await round_trip(party, "call.mute" if i % 2 == 0 else "call.unmute", call_id))
    return times


async def test_a_flood_beside_a_call_is_refused_at_arrival_and_never_slows_the_call(
    parties, settings, monkeypatch
):
    settings.SUPPORTCALL_WS_RATE = 50
    settings.SUPPORTCALL_WS_BACKLOG = 20
    # Frames that each pass every other limit: each one acted on would be a new call.
    settings.SUPPORTCALL_VISITOR_CALLS = settings.SUPPORTCALL_SITE_CALLS = 10_000
    settings.SUPPORTCALL_QUEUE_WAITING = 10_000
    acted_on: list[str] = []
    dispatch = CallConsumer._dispatch

    def counted(self, request):
        acted_on.append(self.actor.identity)
        return dispatch(self, request)

    monkeypatch.setattr(CallConsumer, "_dispatch", counted)
    visitor, _agent, call_id = await in_call(parties)
    baseline = await round_trips(visitor, call_id)

    flooder = await parties("visitor")
    frame = json.dumps(
        {"type": "call.create", "to": SUPPORT, "media": "audio", "sdp": OFFER["audio"]}
    )
    for _ in range(FLOOD):  # as fast as the socket takes them, reading nothing
        await flooder.send(frame)
    during = await round_trips(visitor, call_id)
    # Generous: a loaded machine may be slow, but not a queue of hundreds of calls slow.
    assert max(during) <= max(5 * max(baseline), max(baseline) + 1.0), (baseline, during)

    replies = []
    deadline = time.monotonic() + 30  # hundreds of calls made one by one would take minutes
    while len(replies) < FLOOD:
        assert time.monotonic() < deadline, f"{len(replies)} of {FLOOD} frames answered"
        reply = await flooder.receive(timeout=30)
        if reply["type"] in ("ack", "error"):
            replies.append(reply)
    codes = [r.get("code", "ack") for r in replies]
    # The frames came in well under a second: at most a second's worth (and no more than
    # the backlog at once) reached a service; the rest were refused as they came.
    flooded = [who for who in acted_on if who == flooder.identity]
    assert len(flooded) <= settings.SUPPORTCALL_WS_RATE, len(flooded)
    assert codes.count("ack") == len(flooded) == await count_calls(caller_identity=flooder.identity)
    assert codes.count("rate_limited") == FLOOD - len(flooded)
    assert await round_trips(visitor, call_id, 2)


async def test_errors_quote_the_clients_input_only_as_a_short_excerpt(parties):
    visitor = await parties("visitor")
    long = "x" * 60_000
    unknown = await visitor.fails("bad_request", "call." + long)
    assert len(unknown["message"]) < 100, len(unknown["message"])
    too_long = await visitor.fails(
        "bad_request", "call.create", to=long + "@nowhere", media="audio", sdp=OFFER["audio"]
    )
    assert len(too_long["message"]) < 100, len(too_long["message"])
    # An address within the field's 254 characters that nobody has: quoted short too.
    nobody = await visitor.fails(
        "not_found", "call.create", to="x" * 240 + "@nowhere", media="audio", sdp=OFFER["audio"]
    )
    assert len(nobody["message"]) < 100, len(nobody["message"])


def test_http_errors_quote_the_clients_input_only_as_a_short_excerpt(directory):
    long = "x" * 60_000
    refused = Client().post(
        "/api/v1/anonymous-login", {"site": long}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert len(refused.json()["error"]["message"]) < 100
