"""Calls between agents, and the consult (warm) transfer they make possible, through the real
server with real aiortc audio.

Alice answers a visitor, holds her, and consults Bob on a call of its own (``call.create``
with ``consult_of``, Alice its caller). Completing it (``call.complete``) ends the consult
``transferred`` for both agents and moves the visitor to Bob by the visitor's fresh offer,
which Bob's client answers at once; cancelling it (``call.end`` on the consult) leaves the
visitor with Alice, who takes her off hold. Each test asserts the whole history of states
each party went through.
"""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client import CallError, OperationFailed
from supportcall.vocabulary import ErrorCode, Presence, Reason, State
from tests.client.test_client_transfer import (
    ALICE,
    BOB,
    DOMAIN,
    QUEUE,
    answered_by_alice,
    audio_flows_both_ways,
    failed,
    ready,
)
from tests.support.frames import Frames
from tests.support.servers import django_shell

VISITOR_ANSWERED = ["initiated", "ringing", "in_call"]
VISITOR_HELD = [*VISITOR_ANSWERED, "remotely_held"]
# Alice's side of the consult call she placed, and Bob's.
CALLER_CONSULTED = ["initiated", "ringing", "in_call", "ended"]
COLLEAGUE_CONSULTED = ["ringing", "in_call", "ended"]


async def consulting_bob(clients):
    """Alice answers a visitor, then consults Bob (who accepts): the visitor's call, Alice's
    part of it, the consult call (Alice's), Bob's side of it, and Bob."""
    call, first, bob = await answered_by_alice(clients)
    consult = await first.consult(BOB)
    assert consult.consulting is first
    await call.wait_for_state(State.REMOTELY_HELD, timeout=10)
    colleague = await bob.next_incoming(timeout=10)
    await colleague.accept()
    await consult.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(consult, colleague)  # the agents talk
    return call, first, consult, colleague, bob


async def test_agents_call_each_other_over_the_same_contract(clients):
    alice = await clients.agent("alice")
    bob = await clients.agent("bob")
    await ready(alice, bob)

    call = await alice.call(BOB)
    incoming = await bob.next_incoming(timeout=10)
    assert incoming.caller["address"] == ALICE
    assert incoming.caller["display_name"] == "Alice Agent"
    assert incoming.caller["anonymous"] is False  # a colleague calls
    assert incoming.consult_of is None
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, incoming)
    await incoming.hold()
    await call.wait_for_state(State.REMOTELY_HELD, timeout=10)
    await call.end()

    await incoming.wait_for_state(State.ENDED, timeout=10)
    assert clients.record(alice).states(call) == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "ended",
    ]
    assert clients.record(bob).states(incoming) == ["ringing", "in_call", "on_hold", "ended"]
    assert (call.end_reason, incoming.end_reason) == (Reason.ENDED_BY_LOCAL, Reason.ENDED_BY_REMOTE)


async def test_consult_then_complete_moves_the_visitor_and_her_audio_to_the_colleague(
    clients, server
):
    call, first, consult, colleague, bob = await consulting_bob(clients)
    assert colleague.consult_of["call_id"] == call.call_id
    assert colleague.consult_of["from"]["display_name"] == "Ada"

    await consult.complete()

    # Each call's events are applied in its own order: wait for each end.
    await first.wait_for_state(State.ENDED, timeout=10)
    await colleague.wait_for_state(State.ENDED, timeout=10)
    # Bob's client takes the visitor's call at once: he agreed on the consult.
    taken = await bob.wait_for(lambda: bob.calls.get(call.call_id), 10, "the visitor's call")
    await taken.wait_for_state(State.IN_CALL, timeout=10)
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, taken)
    assert taken.transferred_by == {"address": ALICE, "display_name": "Alice Agent"}
    assert call.transferring["to"] == BOB
    assert clients.record(call.client).states(call) == [*VISITOR_HELD, "ringing", "in_call"]
    assert clients.record(first.client).states(first) == ["ringing", "in_call", "on_hold", "ended"]
    assert clients.record(first.client).states(consult) == CALLER_CONSULTED
    assert clients.record(bob).states(colleague) == COLLEAGUE_CONSULTED
    assert clients.record(bob).states(taken) == ["ringing", "in_call"]
    assert first.end_reason == consult.end_reason == colleague.end_reason == Reason.TRANSFERRED
    assert first.pc.connectionState == "closed"  # Alice is gone from the visitor's call
    record = (
        django_shell(
            server.env,
            "from supportcall.calls.models import Call; "
            f"c = Call.objects.get(pk='{call.call_id}'); "
            f"k = Call.objects.get(pk='{consult.call_id}'); "
            "print([(l.agent.user.username, l.status, l.reason) for l in c.legs.all()]); "
            "print([e.name for e in c.events.all()]); "
            "print(k.consult_of_id == c.id, k.caller_agent.user.username, k.site_id, k.end_reason)",
        )
        .strip()
        .splitlines()[-3:]
    )
    assert record == [
        "[('alice', 'ended', 'transferred'), ('bob', 'answered', '')]",
        "['create', 'ring', 'accept', 'hold', 'answer', 'consult', 'transfer', 'fresh_offer', "
        "'ring', 'accept']",
        "True alice None transferred",
    ]


async def test_consult_then_cancel_brings_the_visitor_back_to_the_first_agent_with_audio(clients):
    call, first, consult, colleague, bob = await consulting_bob(clients)

    await consult.cancel()

    await colleague.wait_for_state(State.ENDED, timeout=10)
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, first)
    assert clients.record(call.client).states(call) == [*VISITOR_HELD, "in_call"]
    assert clients.record(first.client).states(first) == [
        "ringing",
        "in_call",
        "on_hold",
        "in_call",
    ]
    assert clients.record(first.client).states(consult) == CALLER_CONSULTED
    assert clients.record(bob).states(colleague) == COLLEAGUE_CONSULTED
    assert (consult.end_reason, colleague.end_reason) == (
        Reason.ENDED_BY_LOCAL,
        Reason.ENDED_BY_REMOTE,
    )
    assert call.call_id not in bob.calls


async def test_a_consult_the_colleague_rejects_leaves_the_visitor_held_by_the_first_agent(
    clients,
):
    call, first, bob = await answered_by_alice(clients)
    consult = await first.consult(BOB)
    colleague = await bob.next_incoming(timeout=10)

    await colleague.reject()

    await consult.wait_for_state(State.ENDED, timeout=10)
    assert consult.end_reason == Reason.REJECTED
    assert clients.record(first.client).states(consult) == ["initiated", "ringing", "ended"]
    assert (await failed(consult.complete())).code == ErrorCode.INVALID_STATE
    await first.unhold()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, first)
    assert clients.record(call.client).states(call) == [*VISITOR_HELD, "in_call"]


async def test_the_visitor_hanging_up_during_a_consult_leaves_the_agents_talking(clients):
    call, first, consult, colleague, _bob = await consulting_bob(clients)

    await call.end()

    await first.wait_for_state(State.ENDED, timeout=10)
    assert first.end_reason == Reason.ENDED_BY_REMOTE
    assert consult.state is State.IN_CALL  # the agents may finish their talk
    assert (await failed(consult.complete())).code == ErrorCode.INVALID_STATE
    await consult.end()
    await colleague.wait_for_state(State.ENDED, timeout=10)
    assert clients.record(first.client).states(consult) == CALLER_CONSULTED


# --- bad input ---------------------------------------------------------------------------


async def refused(signaling, request) -> str:
    with pytest.raises(CallError) as caught:
        await signaling.request(request)
    assert caught.value.message
    return caught.value.code


async def test_a_consult_needs_the_agents_own_call_on_hold(clients):
    call, first, bob = await answered_by_alice(clients)
    offer = first.pc.localDescription.sdp  # any good audio offer will do for the refusals
    alice = first.client.signaling

    def create(**fields):
        return {"type": "call.create", "to": BOB, "media": "audio", "sdp": offer, **fields}

    # Not on hold yet: the visitor must not overhear the colleague.
    assert await refused(alice, create(consult_of=call.call_id)) == ErrorCode.INVALID_STATE
    unknown = "00000000-0000-4000-8000-000000000000"
    assert await refused(alice, create(consult_of=unknown)) == ErrorCode.NOT_FOUND
    # Bob did not answer it: to him it is no call of his.
    assert await refused(bob.signaling, create(consult_of=call.call_id, to=ALICE)) == (
        ErrorCode.NOT_FOUND
    )
    # A visitor cannot consult, nor call anyone but the site's targets.
    visitor = call.client.signaling
    assert await refused(visitor, create(consult_of=call.call_id)) == ErrorCode.FORBIDDEN
    assert (await failed(call.consult(BOB))).code == ErrorCode.FORBIDDEN
    assert clients.record(call.client).states(call) == VISITOR_ANSWERED


async def test_consulting_oneself_a_queue_nobody_or_twice_at_once_is_refused(clients):
    call, first, bob = await answered_by_alice(clients)
    await first.hold()
    await call.wait_for_state(State.REMOTELY_HELD, timeout=10)
    alice = first.client.signaling
    offer = first.pc.localDescription.sdp

    def create(to, **fields):
        fields.setdefault("consult_of", call.call_id)
        return {"type": "call.create", "to": to, "media": "audio", "sdp": offer, **fields}

    assert await refused(alice, create(ALICE)) == ErrorCode.BAD_REQUEST
    assert await refused(alice, create(QUEUE)) == ErrorCode.FORBIDDEN
    assert await refused(alice, create(f"nobody@{DOMAIN}")) == ErrorCode.NOT_FOUND
    assert await refused(alice, create(f"anonymous-1@{DOMAIN}")) == ErrorCode.FORBIDDEN
    assert await refused(alice, create(BOB, consult_of="not-a-call")) == ErrorCode.BAD_REQUEST
    assert await refused(alice, create(BOB, consult_of=7)) == ErrorCode.BAD_REQUEST
    assert await refused(alice, create(BOB, check={})) == ErrorCode.BAD_REQUEST
    assert await refused(alice, create(BOB, sdp="v=0")) == ErrorCode.BAD_REQUEST

    consult = await first.consult(BOB)
    second = await failed(first.consult(f"sam@{DOMAIN}"))
    assert second.code == ErrorCode.OPERATION_IN_PROGRESS
    # Completing before Bob answered: he has not agreed yet.
    assert (await failed(consult.complete())).code == ErrorCode.INVALID_STATE
    colleague = await bob.next_incoming(timeout=10)
    # Only the agent who consults completes it.
    assert (await failed(colleague.complete())).code == ErrorCode.FORBIDDEN
    await consult.end()
    await colleague.wait_for_state(State.ENDED, timeout=10)
    assert clients.record(bob).states(colleague) == ["ringing", "ended"]
    assert clients.record(call.client).states(call) == VISITOR_HELD


async def test_a_consult_to_an_agent_away_ends_at_once_with_no_agents(clients):
    _call, first, bob = await answered_by_alice(clients)
    await bob.set_presence(Presence.AWAY)

    consult = await first.consult(BOB)

    await consult.wait_for_state(State.ENDED, timeout=10)
    assert consult.end_reason == Reason.NO_AGENTS
    assert clients.record(first.client).states(consult) == ["initiated", "ended"]
    assert first.state is State.ON_HOLD


async def test_bad_complete_requests_are_refused(clients):
    call, first, _bob = await answered_by_alice(clients)
    alice = first.client.signaling

    assert await refused(alice, {"type": "call.complete"}) == ErrorCode.BAD_REQUEST
    assert await refused(alice, {"type": "call.complete", "call_id": 7}) == ErrorCode.BAD_REQUEST
    unknown = "00000000-0000-4000-8000-000000000000"
    assert await refused(alice, {"type": "call.complete", "call_id": unknown}) == (
        ErrorCode.NOT_FOUND
    )
    # The visitor's call is no consult; the visitor has none to complete.
    assert (await failed(first.complete())).code == ErrorCode.INVALID_STATE
    assert (await failed(call.complete())).code == ErrorCode.INVALID_STATE
    assert clients.record(first.client).states(first) == ["ringing", "in_call"]


async def test_a_call_between_agents_cannot_be_transferred_or_consulted_about(clients):
    alice = await clients.agent("alice")
    bob = await clients.agent("bob")
    await ready(alice, bob)
    call = await alice.call(BOB)
    incoming = await bob.next_incoming(timeout=10)
    assert (await failed(incoming.forward(QUEUE))).code == ErrorCode.NOT_SUPPORTED
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)

    assert (await failed(incoming.transfer(QUEUE))).code == ErrorCode.NOT_SUPPORTED
    assert (await failed(incoming.consult(f"sam@{DOMAIN}"))).code == ErrorCode.NOT_SUPPORTED
    await call.wait_for_state(State.REMOTELY_HELD, timeout=10)  # consult() held it first
    assert (await failed(call.complete())).code == ErrorCode.INVALID_STATE
    assert clients.record(alice).states(call) == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
    ]


async def test_completing_while_a_re_offer_is_pending_gets_operation_in_progress(clients):
    call, first, consult, _colleague, _bob = await consulting_bob(clients)
    offered = asyncio.Event()

    def swallow(frame) -> bool:  # Alice never answers the visitor's hold: it stays pending
        if frame.get("type") == "call.offer" and frame.get("call_id") == call.call_id:
            offered.set()
            return True
        return False

    Frames(first.client).drop(swallow)
    hold = asyncio.ensure_future(call.hold())
    await asyncio.wait_for(offered.wait(), 10)

    refused_complete = await failed(consult.complete())

    assert refused_complete.code == ErrorCode.OPERATION_IN_PROGRESS
    assert consult.state is State.IN_CALL
    with pytest.raises(OperationFailed):
        await hold


# --- the calling agent's connection ---------------------------------------------------------


async def talking_agents(clients):
    alice = await clients.agent("alice")
    bob = await clients.agent("bob")
    await ready(alice, bob)
    call = await alice.call(BOB)
    incoming = await bob.next_incoming(timeout=10)
    await incoming.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    return alice, bob, call, incoming


async def test_an_agent_who_placed_a_call_resumes_it_after_a_network_drop(clients):
    alice, bob, call, incoming = await talking_agents(clients)

    alice.signaling.abort()  # no close frame: the network dropped

    bob_record = clients.record(bob)
    await bob_record.until(
        lambda: bob_record.remote_connection(incoming) == ["reconnecting", "connected"], 15
    )
    await call.hold()  # the call is bound to Alice's new connection
    await incoming.wait_for_state(State.REMOTELY_HELD, timeout=10)
    assert clients.record(alice).states(call) == [*VISITOR_ANSWERED, "on_hold"]
    assert clients.record(bob).states(incoming) == ["ringing", "in_call", "remotely_held"]


async def test_an_agent_who_placed_a_call_leaving_ends_it_for_the_colleague(clients):
    alice, bob, _call, incoming = await talking_agents(clients)

    await alice.close(hangup=False)  # a normal close: Alice is not coming back

    await incoming.wait_for_state(State.ENDED, timeout=10)
    assert incoming.end_reason == Reason.CONNECTION_LOST
    assert clients.record(bob).states(incoming) == ["ringing", "in_call", "ended"]


async def test_agents_on_a_call_between_them_are_busy_so_a_queue_call_waits_for_them(clients):
    alice, _bob, call, _incoming = await talking_agents(clients)  # Bob answered: busy
    visitor = await clients.visitor()

    waiting = await visitor.call(media="audio")

    await waiting.wait_for_state(State.QUEUED, timeout=10)  # Alice, who called, is busy too
    await call.end()  # both are free again: the waiting caller rings them
    rung = await alice.next_incoming(timeout=10)
    assert rung.call_id == waiting.call_id
    assert clients.record(visitor).states(waiting) == ["initiated", "queued", "ringing"]
