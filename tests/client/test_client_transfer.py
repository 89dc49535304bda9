"""Blind transfer (``call.transfer``) through the real server, with real aiortc audio.

The visitor's first offer is stale once answered: the server asks the visitor for a fresh
one (``call.reoffer``), rings the target with it, and the new agent's answer completes it.
Each test asserts the whole history of states each party went through.
"""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client import CallError, OperationFailed
from supportcall.vocabulary import ErrorCode, Presence, Reason, State
from tests.support.frames import Frames
from tests.support.servers import django_shell

DOMAIN = "support.example.com"
QUEUE = f"support@{DOMAIN}"
BOB = f"bob@{DOMAIN}"
ALICE = f"alice@{DOMAIN}"

VISITOR_TRANSFERRED = ["initiated", "ringing", "in_call", "ringing", "in_call"]
VISITOR_ENDED_WAITING = ["initiated", "ringing", "in_call", "ringing", "ended"]
AGENT_TRANSFERRED = ["ringing", "in_call", "ended"]
AGENT_ANSWERED = ["ringing", "in_call"]


async def ready(*agents) -> None:
    """No after-call work left over from an earlier test: each agent can be rung."""
    for agent in agents:
        try:
            await agent.signaling.request({"type": "wrapup.end"})
        except CallError:
            pass  # not in wrap-up


async def answered_by_alice(clients):
    """Alice answers a visitor's audio call; Bob connects afterwards (so he did not ring)."""
    alice = await clients.agent("alice")
    await ready(alice)
    visitor = await clients.visitor()
    call = await visitor.call(media="audio")
    first = await alice.next_incoming(timeout=10)
    await first.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await first.wait_for_state(State.IN_CALL, timeout=10)
    bob = await clients.agent("bob")
    await ready(bob)
    return call, first, bob


async def audio_flows_both_ways(call, incoming) -> None:
    """Frames counted both ways, still growing after the transfer."""
    await call.wait_for_media("audio", timeout=15)
    await incoming.wait_for_media("audio", timeout=15)
    heard, said = call.frames_received["audio"], incoming.frames_received["audio"]
    await call.client.wait_for(lambda: call.frames_received["audio"] > heard + 10, 10)
    await incoming.client.wait_for(lambda: incoming.frames_received["audio"] > said + 10, 10)


def set_queue(server, **fields) -> None:
    """Change the demo queue in the server's database, as an admin would."""
    django_shell(
        server.env,
        "from supportcall.directory.models import Queue; "
        f"Queue.objects.filter(name='support').update(**{fields!r})",
    )


@pytest.fixture
def wrap_up_until_ready(server):
    set_queue(server, wrap_up_seconds=0)
    yield
    set_queue(server, wrap_up_seconds=None)


async def test_blind_transfer_to_an_agent_moves_the_audio_to_the_new_agent(
    clients, wrap_up_until_ready, server
):
    call, first, bob = await answered_by_alice(clients)
    await first.wait_for_media("audio", timeout=15)

    await first.transfer(BOB, notes="Wants a refund <b>now</b>")

    assert first.end_reason == Reason.TRANSFERRED
    incoming = await bob.next_incoming(timeout=10)
    assert incoming.transferred_by == {"address": ALICE, "display_name": "Alice Agent"}
    assert incoming.notes == "Wants a refund <b>now</b>"
    assert incoming.caller["display_name"] == "Ada"
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, incoming)

    assert call.transferring["to"] == BOB
    assert call.transferring["display_name"] == "Bob Agent"
    assert clients.record(call.client).states(call) == VISITOR_TRANSFERRED
    assert clients.record(first.client).states(first) == AGENT_TRANSFERRED
    assert clients.record(bob).states(incoming) == AGENT_ANSWERED
    assert first.pc.connectionState == "closed"
    # The agent who transferred it does its after-call work.
    wrap = await clients.record(first.client).event("agent.wrap_up", active=True)
    assert wrap["call_id"] == call.call_id
    # The call's record: the legs as they ended, the log of the steps, who transferred it.
    record = (
        django_shell(
            server.env,
            "from supportcall.calls.models import Call; "
            f"c = Call.objects.get(pk='{call.call_id}'); "
            "print([(l.agent.user.username, l.status, l.reason) for l in c.legs.all()]); "
            "print([e.name for e in c.events.all()]); "
            "print(c.transferred_by.user.username, c.transfer_to, c.agent.user.username, c.notes)",
        )
        .strip()
        .splitlines()[-3:]
    )
    assert record == [
        "[('alice', 'ended', 'transferred'), ('bob', 'answered', '')]",
        "['create', 'ring', 'accept', 'transfer', 'wrap_up', 'fresh_offer', 'ring', 'accept']",
        f"alice {BOB} bob Wants a refund <b>now</b>",
    ]


async def test_blind_transfer_to_a_queue_rings_its_free_agents_and_audio_follows(clients):
    call, first, bob = await answered_by_alice(clients)

    await first.transfer(QUEUE)

    incoming = await bob.next_incoming(timeout=10)
    assert incoming.to == QUEUE
    assert incoming.transferred_by["address"] == ALICE
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, incoming)

    assert call.transferring["display_name"] in ("Support", "support")
    assert clients.record(call.client).states(call) == VISITOR_TRANSFERRED
    assert clients.record(first.client).states(first) == AGENT_TRANSFERRED
    assert first.end_reason == Reason.TRANSFERRED


async def test_a_held_call_is_transferred_with_its_hold_cleared_and_audio_flowing(clients):
    call, first, bob = await answered_by_alice(clients)
    await first.hold()
    await call.wait_for_state(State.REMOTELY_HELD, timeout=10)

    await first.transfer(BOB)
    incoming = await bob.next_incoming(timeout=10)
    await incoming.accept()

    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, incoming)
    assert clients.record(call.client).states(call) == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "ringing",
        "in_call",
    ]
    assert clients.record(first.client).states(first) == ["ringing", "in_call", "on_hold", "ended"]


async def test_a_transfer_nobody_takes_comes_back_to_the_first_agent_with_audio(clients):
    call, first, bob = await answered_by_alice(clients)
    alice = first.client

    await first.transfer(BOB)
    incoming = await bob.next_incoming(timeout=10)
    await incoming.reject()

    back = await alice.next_incoming(timeout=10)
    assert back.call_id == call.call_id and back is not first
    assert back.transferred_by["address"] == ALICE
    await back.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, back)

    assert clients.record(call.client).states(call) == VISITOR_TRANSFERRED
    # Alice's record of the call: her first part, then the call back.
    assert clients.record(alice).states(back) == AGENT_TRANSFERRED + AGENT_ANSWERED
    assert first.end_reason == Reason.TRANSFERRED
    assert clients.record(bob).states(incoming) == ["ringing", "ended"]
    assert incoming.end_reason == Reason.REJECTED


async def test_a_transfer_to_a_queue_with_nobody_free_comes_back_at_once(clients):
    call, first, bob = await answered_by_alice(clients)
    await bob.set_presence(Presence.AWAY)

    await first.transfer(QUEUE)

    back = await first.client.next_incoming(timeout=10)
    await back.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, back)
    assert clients.record(call.client).states(call) == VISITOR_TRANSFERRED


@pytest.fixture
def callback_fallback(server):
    set_queue(server, transfer_fallback="callback")
    yield
    set_queue(server, transfer_fallback="return")


async def test_a_queue_may_make_an_untaken_transfer_a_callback_request(
    clients, callback_fallback, server
):
    call, first, bob = await answered_by_alice(clients)

    await first.transfer(QUEUE)
    incoming = await bob.next_incoming(timeout=10)
    await incoming.reject()

    await call.wait_for_state(State.ENDED, timeout=10)
    assert call.end_reason == Reason.CALLBACK_REQUESTED
    assert clients.record(call.client).states(call) == VISITOR_ENDED_WAITING
    found = django_shell(
        server.env,
        "from supportcall.callbacks.models import CallbackRequest; "
        f"r = CallbackRequest.objects.get(call_id='{call.call_id}'); "
        "print(r.queue.name, r.name, r.status)",
    )
    assert found.strip().splitlines()[-1] == "support Ada open"


async def test_a_transfer_racing_the_visitors_hang_up_ends_the_call_cleanly(clients):
    call, first, bob = await answered_by_alice(clients)

    results = await asyncio.gather(first.transfer(BOB), call.end(), return_exceptions=True)

    await call.wait_for_state(State.ENDED, timeout=10)
    transfer = results[0]
    if transfer is None:  # the transfer first: the hang-up ended the waiting call
        assert first.end_reason == Reason.TRANSFERRED
        # Its ringing and the hang-up's end come from two operations racing, in either
        # order; ended is final (a ringing after it is stale, and ignored).
        states = clients.record(call.client).states(call)
        assert states[-2:] in (["ringing", "ended"], ["in_call", "ended"]), states
    else:  # the hang-up first: nothing to transfer
        assert isinstance(transfer, OperationFailed)
        assert transfer.code in (ErrorCode.INVALID_STATE, ErrorCode.NOT_FOUND)
        assert first.end_reason == Reason.ENDED_BY_REMOTE
    assert results[1] is None
    assert call.end_reason == Reason.ENDED_BY_LOCAL
    # Bob is not left ringing: any alert he got ended.
    await bob.wait_for(lambda: all(c.ended for c in bob.calls.values()), 10)


async def test_the_visitor_hanging_up_while_the_target_rings_stops_its_ringing(clients):
    call, first, bob = await answered_by_alice(clients)

    await first.transfer(BOB)
    incoming = await bob.next_incoming(timeout=10)
    await call.end()

    await incoming.wait_for_state(State.ENDED, timeout=10)
    assert incoming.end_reason == Reason.CANCELLED
    assert clients.record(bob).states(incoming) == ["ringing", "ended"]
    assert clients.record(call.client).states(call) == VISITOR_ENDED_WAITING


async def failed(operation) -> OperationFailed:
    with pytest.raises(OperationFailed) as caught:
        await operation
    return caught.value


async def test_a_visitor_cannot_transfer(clients):
    call, first, _bob = await answered_by_alice(clients)

    assert (await failed(call.transfer(BOB))).code == ErrorCode.FORBIDDEN
    assert first.state is State.IN_CALL


async def test_a_ringing_call_cannot_be_transferred(clients):
    alice = await clients.agent("alice")
    await ready(alice)
    visitor = await clients.visitor()
    call = await visitor.call(media="audio")
    incoming = await alice.next_incoming(timeout=10)

    assert (await failed(incoming.transfer(BOB))).code == ErrorCode.INVALID_STATE
    assert call.state is State.RINGING


async def test_transfers_to_oneself_nobody_or_a_busy_agent_are_refused(clients):
    call, first, bob = await answered_by_alice(clients)

    assert (await failed(first.transfer(ALICE))).code == ErrorCode.BAD_REQUEST
    unknown = await failed(first.transfer(f"nobody@{DOMAIN}"))
    assert unknown.code == ErrorCode.NOT_FOUND
    html = await failed(first.transfer("<script>x</script>"))
    assert html.code == ErrorCode.NOT_FOUND
    await bob.set_presence(Presence.AWAY)
    busy = await failed(first.transfer(BOB))
    assert busy.code == ErrorCode.NOT_FOUND and "cannot take the call now" in busy.message
    await bob.set_presence(Presence.AVAILABLE)

    # Nothing changed: the call is still Alice's.
    assert clients.record(first.client).states(first) == AGENT_ANSWERED
    assert clients.record(call.client).states(call) == ["initiated", "ringing", "in_call"]


@pytest.fixture
def closed_queue(server):
    """Queue 'closed-today', closed for the day (its date in UTC, the queue's time zone)."""
    django_shell(
        server.env,
        "from django.utils import timezone; "
        "from supportcall.directory.models import ClosedDay, Queue; "
        "q = Queue.objects.create(name='closed-today'); "
        "ClosedDay.objects.create(queue=q, date=timezone.now().date())",
    )
    yield f"closed-today@{DOMAIN}"
    django_shell(
        server.env,
        "from supportcall.directory.models import Queue; "
        "Queue.objects.filter(name='closed-today').delete()",
    )


async def test_a_transfer_to_a_closed_queue_is_refused(clients, closed_queue):
    call, first, _bob = await answered_by_alice(clients)

    refused = await failed(first.transfer(closed_queue))

    assert refused.code == ErrorCode.INVALID_STATE and "closed" in refused.message
    assert clients.record(first.client).states(first) == AGENT_ANSWERED
    assert clients.record(call.client).states(call) == ["initiated", "ringing", "in_call"]


async def test_a_transfer_while_a_re_offer_is_pending_gets_operation_in_progress(clients):
    call, first, _bob = await answered_by_alice(clients)
    offered = asyncio.Event()

    def swallow(frame) -> bool:  # the agent never answers the hold: it stays pending
        if frame.get("type") == "call.offer":
            offered.set()
            return True
        return False

    Frames(first.client).drop(swallow)
    hold = asyncio.ensure_future(call.hold())
    await asyncio.wait_for(offered.wait(), 10)  # sent once the server took the hold

    refused = await failed(first.transfer(BOB))

    assert refused.code == ErrorCode.OPERATION_IN_PROGRESS
    assert (await failed(hold)).code == ErrorCode.TIMEOUT


async def test_bad_transfer_and_fresh_offer_requests_are_refused(clients):
    call, first, _bob = await answered_by_alice(clients)
    agent = first.client.signaling

    async def error(request):
        with pytest.raises(CallError) as caught:
            await agent.request({"call_id": call.call_id, **request})
        return caught.value.code

    assert await error({"type": "call.transfer"}) == ErrorCode.BAD_REQUEST
    assert await error({"type": "call.transfer", "to": 7}) == ErrorCode.BAD_REQUEST
    assert await error({"type": "call.transfer", "to": "x" * 300}) == ErrorCode.BAD_REQUEST
    too_long = {"type": "call.transfer", "to": BOB, "notes": "n" * 2001}
    assert await error(too_long) == ErrorCode.BAD_REQUEST
    offer = {"type": "call.fresh_offer", "sdp": call.media_peer.pc.localDescription.sdp}
    assert await error(offer) == ErrorCode.FORBIDDEN  # an agent has none to send
    with pytest.raises(CallError) as caught:  # nobody asked the visitor for one
        await call.client.signaling.request({"call_id": call.call_id, **offer})
    assert caught.value.code == ErrorCode.INVALID_STATE
    assert clients.record(call.client).states(call) == ["initiated", "ringing", "in_call"]
