"""targets.watch: the forward and transfer lists are told when who is free may have changed
(issue 13), so a dashboard reloads GET /agent/targets.json then, not every few seconds.

Carol (queue billing, never rung here) watches; alice and bob (queue support) change.
"""

from __future__ import annotations

import pytest

from supportcall.directory.models import Queue
from tests.support.calls import answer, ring, sweep
from tests.support.queries import queries
from tests.support.ws import resume, sync

CHANGED = {"type": "targets.changed"}


async def watching(parties, who: str = "carol"):
    agent = await parties(who)
    assert await agent.ok("targets.watch") == {"type": "ack", "id": "1"}
    return agent


async def test_a_watching_agent_hears_each_presence_a_colleague_sets(parties):
    carol = await watching(parties)
    bob = await parties("bob")
    assert await carol.events(1) == [CHANGED]  # online
    await bob.ok("presence.set", status="away")
    assert await carol.events(1) == [CHANGED]
    await bob.ok("presence.set", status="available")
    assert await carol.events(1) == [CHANGED]
    await carol.silent()
    # Bob, who does not watch, hears his own presence only.
    assert [e["type"] for e in await bob.events(2)] == ["presence", "presence"]
    await bob.silent()


async def test_after_unwatch_a_colleagues_presence_is_not_told(parties):
    carol = await watching(parties)
    bob = await parties("bob")
    assert await carol.events(1) == [CHANGED]  # online
    await carol.ok("targets.unwatch")
    await bob.ok("presence.set", status="away")
    await bob.event("presence", status="away")
    await carol.silent()


async def test_a_colleague_the_server_sets_away_for_missed_calls_is_told(parties, settings):
    settings.SUPPORTCALL_MISSED_CALLS_AWAY = 1
    queue = Queue.objects.filter(name="support")
    await sync(lambda: queue.update(ring_timeout=10, wait_when_empty=True))()
    alice = await parties("alice")
    carol = await watching(parties)
    visitor = await parties("visitor")
    await ring(visitor, alice)
    await sweep(in_seconds=11)
    await alice.until("presence", status="away")
    assert await carol.events(1) == [CHANGED]
    await carol.silent()


async def test_a_colleague_coming_online_and_going_offline_is_told_once_each(parties):
    carol = await watching(parties)
    bob = await parties("bob")
    assert await carol.events(1) == [CHANGED]
    second_tab = await parties("bob")
    await second_tab.leave()  # bob is still online in his first tab
    await carol.silent()
    await bob.leave()
    assert await carol.events(1) == [CHANGED]
    await carol.silent()


async def test_a_dropped_colleague_is_told_offline_only_when_its_grace_runs_out(parties):
    carol = await watching(parties)
    bob = await parties("bob")
    assert await carol.events(1) == [CHANGED]
    await bob.close()  # may come back: still online
    await carol.silent()
    await sweep(in_seconds=60)
    assert await carol.events(1) == [CHANGED]
    await carol.silent()


async def test_a_call_answered_and_ended_is_told_once_each(parties):
    alice = await parties("alice")
    carol = await watching(parties)
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await carol.silent()  # being rung is not told: it lasts seconds (docs/protocol.md)
    await answer(visitor, alice, call_id)
    assert await carol.events(1) == [CHANGED]
    await visitor.ok("call.end", call_id=call_id)
    assert await carol.events(1) == [CHANGED]
    await carol.silent()


@pytest.fixture
def wrap_up_10s(directory):
    Queue.objects.filter(name="support").update(wrap_up_seconds=10)


@pytest.mark.usefixtures("wrap_up_10s")
async def test_a_call_ending_into_wrap_up_is_told_once_and_the_wrap_ups_end_again(parties):
    alice = await parties("alice")
    carol = await watching(parties)
    for end_it in ("ready", "time runs out"):
        visitor = await parties("visitor")
        call_id = await ring(visitor, alice)
        await answer(visitor, alice, call_id)
        assert await carol.events(1) == [CHANGED]
        await visitor.ok("call.end", call_id=call_id)
        assert await carol.events(1) == [CHANGED]  # ended, and wrapping up: one event
        await alice.until("agent.wrap_up", active=True)
        await carol.silent()
        if end_it == "ready":
            await alice.ok("wrapup.end")
        else:
            await sweep(in_seconds=11)
        await alice.until("agent.wrap_up", active=False)
        assert await carol.events(1) == [CHANGED]
        await carol.silent()
        await visitor.leave()


async def test_a_visitor_may_not_watch_the_lists(parties):
    visitor = await parties("visitor")
    await visitor.fails("forbidden", "targets.watch")
    await visitor.fails("forbidden", "targets.unwatch")


async def test_watch_takes_no_fields_and_ignores_others_as_every_request_does(parties):
    carol = await parties("carol")
    await carol.ok("targets.unwatch")  # not watching: nothing to leave
    await carol.ok("targets.watch", call_id="not a call", every="5s")
    await carol.ok("targets.watch")  # twice is once
    bob = await parties("bob")
    assert await carol.events(1) == [CHANGED]
    await carol.silent()
    await bob.silent()


async def test_a_resumed_connection_is_told_again_only_once_it_watches_again(parties):
    carol = await watching(parties)
    await carol.close()
    back = await resume(carol, origin=None)
    bob = await parties("bob")  # online
    await bob.ok("presence.set", status="away")
    await back.silent()
    await back.ok("targets.watch")
    await bob.ok("presence.set", status="available")
    assert await back.events(1) == [CHANGED]


async def test_watching_and_unwatching_need_no_query(parties, monkeypatch):
    carol = await parties("carol")
    with queries(monkeypatch) as sql:
        await carol.ok("targets.watch")
        await carol.ok("targets.unwatch")
    assert sql == []
