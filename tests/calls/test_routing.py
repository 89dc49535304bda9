"""Routing: presence, strategies, waiting in order, and the log that explains every decision."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from supportcall.calls import availability
from supportcall.calls.models import Call, CallEvent
from supportcall.directory.models import Agent, ClosedDay, OpeningHours, Queue
from supportcall.directory.setup import ensure_agent, ensure_site
from tests.support.calls import sweep
from tests.support.sdps import ANSWER, OFFER
from tests.support.ws import PASSWORD, SHOP, addr, sync

SALES = addr("sales")


@pytest.fixture
def sales(directory):
    """Queue 'sales' on site 'shop' with agents ann, ben, cat and dan."""
    ensure_site("shop", [SHOP], ["support", "sales"])
    for name in ("ann", "ben", "cat", "dan"):
        ensure_agent(name, PASSWORD, ["sales"])
    return Queue.objects.get(name="sales")


def configure(**fields):
    return sync(lambda: Queue.objects.filter(name="sales").update(**fields))()


async def create(visitor, to=SALES, media="audio") -> str:
    ack = await visitor.ok("call.create", to=to, media=media, sdp=OFFER[media])
    return ack["call_id"]


async def incoming(agent, call_id) -> None:
    await agent.until("call.incoming", call_id=call_id)
    await agent.until("call.state", call_id=call_id, state="ringing")


async def answer(visitor, agent, call_id) -> None:
    await agent.ok("call.accept", call_id=call_id, video=False, sdp=ANSWER["audio"])
    await agent.until("op.result", call_id=call_id, op="accept")
    await visitor.until("call.state", call_id=call_id, state="in_call")


async def ring_log(call_id) -> list[dict]:
    return await sync(
        lambda: [{"name": e.name, **e.detail} for e in CallEvent.objects.filter(call_id=call_id)]
    )()


async def make_idle(name: str, minutes_ago: int) -> None:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    await sync(lambda: Agent.objects.filter(user__username=name).update(idle_since=at))()


# --- presence ---------------------------------------------------------------


async def test_presence_is_computed_offline_available_away_busy(parties, sales):
    def presences():
        return {
            a.user.username: availability.presence(a)
            for a in availability.with_presence(Agent.objects.filter(queues=sales))
        }

    assert await sync(presences)() == dict.fromkeys(["ann", "ben", "cat", "dan"], "offline")
    ann, ben, cat = await parties("ann"), await parties("ben"), await parties("cat")
    await ben.ok("presence.set", status="away")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await incoming(cat, call_id)
    await answer(visitor, cat, call_id)
    await ann.until("call.state", state="ended")
    assert await sync(presences)() == {
        "ann": "available",
        "ben": "away",
        "cat": "busy",
        "dan": "offline",
    }


def free_by_presence(exclude=(), call=None) -> list[str]:
    """Who is free by the ORM's presence (``with_presence``): the oracle of ``free``."""
    agents = availability.with_presence(Agent.objects.exclude(pk__in=exclude), call)
    return [
        a.user.username
        for a in agents.order_by("idle_since", "pk")
        if availability.presence(a) == "available" and not a.ringing and not a.wrapping
    ]


def free_now(exclude=(), call=None) -> list[str]:
    return [a.user.username for a in availability.free(Agent.objects.all(), exclude, call)]


async def test_who_is_free_is_what_presence_says_whether_ringing_busy_away_or_offline(
    parties, sales
):
    assert await sync(free_now)() == [] == await sync(free_by_presence)()
    ann, ben, cat = await parties("ann"), await parties("ben"), await parties("cat")
    await ben.ok("presence.set", status="away")
    assert await sync(free_now)() == ["ann", "cat"] == await sync(free_by_presence)()
    first = await parties("visitor")
    call_id = await create(first)
    await incoming(ann, call_id)
    await incoming(cat, call_id)
    # Both ring: nobody is free, but either may still take this call.
    assert await sync(free_now)() == [] == await sync(free_by_presence)()
    ringing = await sync(lambda: Call.objects.get(pk=call_id))()
    assert await sync(lambda: free_now(call=ringing))() == ["ann", "cat"]
    assert await sync(lambda: free_by_presence(call=ringing))() == ["ann", "cat"]
    await answer(first, cat, call_id)
    await ann.until("call.state", state="ended")
    assert await sync(free_now)() == ["ann"] == await sync(free_by_presence)()
    ann_id = await sync(lambda: Agent.objects.get(user__username="ann").pk)()
    assert await sync(lambda: free_now(exclude=[ann_id]))() == []
    # An agent who may take two calls is free while in one.
    await sync(lambda: Agent.objects.filter(user__username="cat").update(max_calls=2))()
    assert await sync(free_now)() == ["ann", "cat"] == await sync(free_by_presence)()


async def test_an_agent_who_may_take_two_calls_is_rung_while_in_one(parties, sales):
    await sync(lambda: Agent.objects.filter(user__username="ann").update(max_calls=2))()
    ann = await parties("ann")
    first = await parties("visitor")
    call_id = await create(first)
    await incoming(ann, call_id)
    await answer(first, ann, call_id)
    second = await parties("visitor")
    await incoming(ann, await create(second))


async def test_presence_changes_reach_every_tab_of_the_agent(parties, sales):
    tab1, tab2 = await parties("ann"), await parties("ann")
    await tab1.ok("presence.set", status="away")
    await tab1.until("presence", status="away")
    await tab2.until("presence", status="away")
    await tab2.ok("presence.set", status="available")
    await tab1.until("presence", status="available")


# --- ring_all ---------------------------------------------------------------


async def test_ring_all_rings_every_free_agent_and_both_tabs_and_logs_who_was_skipped(
    parties, sales
):
    ann, ben, cat = await parties("ann"), await parties("ben"), await parties("cat")
    dan1, dan2 = await parties("dan"), await parties("dan")
    await ben.ok("presence.set", status="away")
    await ben.until("presence", status="away")
    busy_visitor = await parties("visitor")
    busy_call = await create(busy_visitor)
    for agent in (ann, cat, dan1, dan2):
        await incoming(agent, busy_call)
    await answer(busy_visitor, cat, busy_call)  # cat is busy now
    for agent in (ann, dan1, dan2):
        await agent.until("call.state", state="ended", reason="answered_elsewhere")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    for agent in (ann, dan1, dan2):
        await incoming(agent, call_id)
    await ben.silent()
    await cat.silent()
    await answer(visitor, dan2, call_id)
    await dan1.until("call.state", state="ended", reason="answered_elsewhere")
    await ann.until("call.state", state="ended", reason="answered_elsewhere")
    ring = next(e for e in await ring_log(call_id) if e["name"] == "ring")
    assert ring["agents"] == [addr("ann"), addr("dan")]
    assert ring["strategy"] == "ring_all"
    assert ring["skipped"] == {"ben": "away", "cat": "busy"}


async def test_ring_all_after_the_ring_timeout_rings_again(parties, sales):
    await configure(ring_timeout=10)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await sweep(in_seconds=11)
    await ann.until("call.state", call_id=call_id, state="ended", reason="no_answer")
    await incoming(ann, call_id)  # the only free agent gets another turn
    names = [e["name"] for e in await ring_log(call_id)]
    assert names == ["create", "ring", "ring_timeout", "ring"]


# --- longest_idle -----------------------------------------------------------


async def test_longest_idle_rings_one_agent_then_the_next_after_the_ring_timeout(parties, sales):
    await configure(strategy="longest_idle", ring_timeout=20)
    ann, ben, cat = await parties("ann"), await parties("ben"), await parties("cat")
    await make_idle("ann", 5)
    await make_idle("ben", 30)  # idle longest
    await make_idle("cat", 10)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ben, call_id)
    await ann.silent()
    await cat.silent()
    await sweep(in_seconds=21)
    await ben.until("call.state", call_id=call_id, state="ended", reason="no_answer")
    await incoming(cat, call_id)  # next longest idle
    await ann.silent()
    await cat.ok("call.reject", call_id=call_id)
    await incoming(ann, call_id)  # rejecting in a queue moves the call on
    await visitor.until("call.state", call_id=call_id, state="ringing")
    await visitor.silent()  # the caller just keeps ringing
    log = await ring_log(call_id)
    assert [(e["name"], e.get("agents") or e.get("agent")) for e in log] == [
        ("create", None),
        ("ring", [addr("ben")]),
        ("ring_timeout", addr("ben")),
        ("ring", [addr("cat")]),
        ("reject", None),
        ("ring", [addr("ann")]),
    ]
    assert log[2]["rung_s"] == pytest.approx(21, abs=1)
    assert log[1]["skipped"] == {
        "ann": "not chosen by the strategy",
        "cat": "not chosen by the strategy",
        "dan": "offline",
    }


async def test_an_agent_who_declined_is_not_rung_again_for_that_call(parties, sales):
    await configure(strategy="longest_idle", wait_when_empty=True)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await ann.ok("call.reject", call_id=call_id)
    await visitor.until("call.state", call_id=call_id, state="queued")
    await ann.events(2)
    await ann.event("queue.waiting", waiting=1)  # not rung again: only told that it waits
    await ann.silent()
    skipped = next(e for e in await ring_log(call_id) if e["name"] == "queued")["skipped"]
    assert skipped["ann"] == "declined this call"


async def test_missing_calls_in_a_row_sets_the_agent_away_and_says_why(parties, sales, settings):
    settings.SUPPORTCALL_MISSED_CALLS_AWAY = 2
    await configure(ring_timeout=10, wait_when_empty=True)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await sweep(in_seconds=11)
    await ann.until("call.state", state="ended", reason="no_answer")
    await incoming(ann, call_id)
    await sweep(in_seconds=22)
    await ann.until("call.state", state="ended", reason="no_answer")
    presence = await ann.until("presence", status="away")
    assert "missed 2 calls in a row" in presence["reason"]
    await visitor.until("call.state", call_id=call_id, state="queued")
    assert await sync(lambda: Agent.objects.get(user__username="ann").presence)() == "away"


async def test_answering_resets_the_count_of_missed_calls(parties, sales):
    await configure(ring_timeout=10)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await sweep(in_seconds=11)
    await ann.until("call.state", state="ended", reason="no_answer")
    await incoming(ann, call_id)
    assert await sync(lambda: Agent.objects.get(user__username="ann").missed_in_row)() == 1
    await answer(visitor, ann, call_id)
    assert await sync(lambda: Agent.objects.get(user__username="ann").missed_in_row)() == 0


# --- waiting ----------------------------------------------------------------


async def test_calls_wait_in_order_and_are_answered_first_come_first_served(parties, sales):
    ann = await parties("ann")
    first = await parties("visitor")
    busy = await create(first)
    await incoming(ann, busy)
    await answer(first, ann, busy)
    callers = [await parties("visitor") for _ in range(5)]
    calls = [await create(caller) for caller in callers]
    for number, (caller, call_id) in enumerate(zip(callers, calls, strict=True), start=1):
        await caller.until("call.state", call_id=call_id, state="initiated")
        await caller.until("call.state", call_id=call_id, state="queued", previous="initiated")
        position = await caller.until("queue.position", call_id=call_id)
        assert (position["position"], position["agents_available"]) == (number, 0)
    for served, call_id in enumerate(calls):
        # The agent frees up: the longest waiting call rings, the others move up.
        current = busy if served == 0 else calls[served - 1]
        await ann.ok("call.end", call_id=current)
        await ann.until("call.state", call_id=current, state="ended")
        await ann.until("op.result", call_id=current, op="end")
        await incoming(ann, call_id)
        await callers[served].until("call.state", call_id=call_id, state="ringing")
        for later, caller in enumerate(callers[served + 1 :], start=1):
            # Each caller moves up one place (an estimate may also have been refreshed).
            await caller.until("queue.position", position=later)
        await answer(callers[served], ann, call_id)


async def test_a_new_caller_waits_behind_earlier_callers_even_if_an_agent_is_free(parties, sales):
    await configure(wait_when_empty=True)
    early = await parties("visitor")
    early_id = await create(early)
    await early.until("call.state", state="initiated")
    await early.until("call.state", state="queued")
    ann = await parties("ann")  # comes online: the waiting call rings first
    await incoming(ann, early_id)
    late = await parties("visitor")
    late_id = await create(late)
    await late.until("call.state", call_id=late_id, state="initiated")
    await late.until("call.state", call_id=late_id, state="queued")


async def test_no_agent_online_ends_the_call_no_agents_unless_the_queue_waits_anyway(
    parties, sales
):
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await visitor.until("call.state", state="initiated")
    await visitor.until("call.state", call_id=call_id, state="ended", reason="no_agents")
    await configure(wait_when_empty=True)
    call_id = await create(visitor)
    await visitor.until("call.state", state="initiated")
    await visitor.until("call.state", call_id=call_id, state="queued")
    await visitor.until("queue.position", call_id=call_id, position=1, agents_available=0)


async def test_the_queues_maximum_wait_ends_the_call_no_answer(parties, sales):
    await configure(max_wait=60, wait_when_empty=True)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await visitor.until("call.state", call_id=call_id, state="queued")
    await sweep(in_seconds=59)
    await visitor.until("queue.position")
    await visitor.silent()
    await sweep(in_seconds=61)
    ended = await visitor.until("call.state", call_id=call_id, state="ended")
    assert ended["reason"] == "no_answer"
    log = await ring_log(call_id)
    assert log[-1] == {"name": "no_answer", "why": "the queue's maximum wait ran out"}


async def test_the_estimated_wait_comes_from_recent_answer_times(parties, sales):
    now = timezone.now()

    def history():
        site = sales.sites.get()
        for seconds in (20, 40, 60):
            Call.objects.create(
                site=site,
                caller_identity="x",
                target=SALES,
                queue=sales,
                media="audio",
                phase="ended",
                offer_sdp="v=0",
                answered=now,
                end_reason="ended_by_local",
            )
            Call.objects.filter(answered=now, created__gt=now - timedelta(seconds=5)).update(
                created=now - timedelta(seconds=seconds)
            )

    await sync(history)()
    await configure(wait_when_empty=True)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    position = await visitor.until("queue.position", call_id=call_id)
    assert position["position"] == 1
    assert 30 <= position["estimated_wait_s"] <= 60


async def test_a_visitor_reads_its_own_queue_position_but_not_anothers(parties, sales):
    await configure(wait_when_empty=True)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await visitor.until("call.state", state="initiated")
    await visitor.until("call.state", state="queued")
    ack = await visitor.ok("queue.position", call_id=call_id)
    assert (ack["position"], ack["agents_available"]) == (1, 0)
    stranger = await parties("visitor")
    await stranger.fails("not_found", "queue.position", call_id=call_id)
    ann = await parties("ann")
    await ann.fails("not_found", "queue.position", call_id=call_id)


async def test_the_position_of_a_call_not_waiting_is_invalid_state(parties, sales):
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await visitor.fails("invalid_state", "queue.position", call_id=call_id)


async def test_the_caller_hanging_up_while_waiting_moves_the_others_up(parties, sales):
    await configure(wait_when_empty=True)
    first, second = await parties("visitor"), await parties("visitor")
    first_id = await create(first)
    second_id = await create(second)
    await second.until("queue.position", call_id=second_id, position=2)
    await first.ok("call.end", call_id=first_id)
    await second.until("queue.position", call_id=second_id, position=1)


async def waiting_seen(agent) -> list[int]:
    """The `queue.waiting` counts an agent received until now, in order (other frames dropped)."""
    seen = []
    while getattr(agent, "backlog", []) or not await agent.ws.receive_nothing(timeout=0.3):
        frame = await agent.receive()
        if frame["type"] == "queue.waiting":
            assert frame["queue"] == SALES
            seen.append((frame["waiting"], frame["longest_wait_s"]))
    return seen


async def test_the_queues_agents_see_who_waits_until_the_last_caller_leaves(parties, sales):
    ann, ben = await parties("ann"), await parties("ben")
    await ben.ok("presence.set", status="away")  # away, but still told: it may come back
    busy_caller = await parties("visitor")
    busy = await create(busy_caller)
    await incoming(ann, busy)
    await answer(busy_caller, ann, busy)
    assert await waiting_seen(ann) == []  # nobody waited: nothing to say
    first, second = await parties("visitor"), await parties("visitor")
    first_id = await create(first)
    await first.until("call.state", call_id=first_id, state="queued")
    second_id = await create(second)
    await second.until("call.state", call_id=second_id, state="queued")
    await first.ok("call.end", call_id=first_id)  # the first caller gives up
    await first.until("call.state", call_id=first_id, state="ended")
    seen = await waiting_seen(ann)
    await ann.ok("call.end", call_id=busy)  # ann frees up: the second caller rings her
    await second.until("call.state", call_id=second_id, state="ringing")
    seen += await waiting_seen(ann)
    expected = [(1, 0), (2, 0), (1, 0), (0, 0)]
    assert seen == expected
    assert await waiting_seen(ben) == expected
    assert await waiting_seen(busy_caller) == []  # visitors never hear of the others


async def test_the_longest_wait_counts_from_when_the_first_caller_started_waiting(parties, sales):
    await configure(wait_when_empty=True)
    ann = await parties("ann")
    await ann.ok("presence.set", status="away")
    first, second = await parties("visitor"), await parties("visitor")
    first_id = await create(first)
    await first.until("call.state", call_id=first_id, state="queued")
    at = timezone.now() - timedelta(seconds=42)
    await sync(lambda: Call.objects.filter(pk=first_id).update(queued_at=at))()
    await create(second)
    assert await waiting_seen(ann) == [(1, 0), (2, 42)]


# --- opening hours ----------------------------------------------------------


async def test_a_closed_queue_refuses_calls_and_says_when_it_opens(parties, sales):
    await sync(lambda: ClosedDay.objects.create(queue=sales, date=timezone.localdate()))()
    visitor = await parties("visitor")
    reply = await visitor.fails(
        "invalid_state", "call.create", to=SALES, media="audio", sdp=OFFER["audio"]
    )
    assert "closed" in reply["message"] and "tomorrow 0:00" in reply["message"]
    assert not await sync(Call.objects.exists)()


async def test_a_queue_open_only_at_other_hours_is_closed_now(parties, sales):
    now = timezone.now()
    other_day = (now.weekday() + 3) % 7

    def hours():
        OpeningHours.objects.create(queue=sales, weekday=other_day, opens=time(9), closes=time(17))

    await sync(hours)()
    visitor = await parties("visitor")
    reply = await visitor.fails(
        "invalid_state", "call.create", to=SALES, media="audio", sdp=OFFER["audio"]
    )
    assert "9:00" in reply["message"]


async def test_the_demo_support_queue_is_always_open(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    await alice.event("call.incoming", call_id=ack["call_id"])


async def test_a_direct_call_to_a_busy_agent_ends_no_agents_and_says_why(parties, sales):
    ann = await parties("ann")
    first = await parties("visitor")
    call_id = await create(first)
    await incoming(ann, call_id)
    await answer(first, ann, call_id)
    second = await parties("visitor")
    second_id = await create(second, to=addr("ann"))
    await second.until("call.state", state="initiated")
    await second.until("call.state", call_id=second_id, state="ended", reason="no_agents")
    log = await ring_log(second_id)
    assert log[-1]["skipped"] == {"ann": "busy"}


async def test_reject_of_the_last_agent_keeps_the_caller_waiting_if_the_queue_waits_anyway(
    parties, sales
):
    await configure(wait_when_empty=True)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await ann.ok("call.reject", call_id=call_id)
    await visitor.until("call.state", call_id=call_id, state="ringing")
    await visitor.until("call.state", call_id=call_id, state="queued", previous="ringing")
    ben = await parties("ben")
    await incoming(ben, call_id)
    frames = [(f["type"], f.get("state"), f.get("waiting")) for f in await ann.events(4)]
    assert frames == [
        ("call.state", "ended", None),
        ("op.result", None, None),
        ("queue.waiting", None, 1),  # ann sees that the caller she declined waits
        ("queue.waiting", None, 0),  # until ben takes it
    ]
    await ann.silent()
    await answer(visitor, ben, call_id)


# --- nobody left who could answer ----------------------------------------------------


async def ended_with_nobody_left(visitor, call_id) -> None:
    """The caller's whole history: rung, then told at once that nobody can answer."""
    assert await visitor.states(call_id, until="ended") == ["initiated", "ringing", "ended"]
    log = await ring_log(call_id)
    assert log[-1]["name"] == "no_agents"
    assert log[-1]["why"] == "no agent who could answer is left"
    assert await sync(lambda: Call.objects.get(id=call_id).end_reason)() == "no_agents"


@pytest.mark.parametrize("op", ["call.reject", "call.ignore"])
async def test_the_only_agent_online_declining_ends_the_call_no_agents_at_once(parties, sales, op):
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await ann.ok(op, call_id=call_id)
    await ended_with_nobody_left(visitor, call_id)
    assert (await ring_log(call_id))[-1]["skipped"] == {
        "ann": "declined this call",
        "ben": "offline",
        "cat": "offline",
        "dan": "offline",
    }


async def test_an_agent_away_is_nobody_to_wait_for(parties, sales):
    ann, ben = await parties("ann"), await parties("ben")
    await ben.ok("presence.set", status="away")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await ann.ok("call.reject", call_id=call_id)
    await ended_with_nobody_left(visitor, call_id)


async def test_the_only_agent_set_away_for_missed_calls_leaves_the_caller_told_at_once(
    parties, sales, settings
):
    settings.SUPPORTCALL_MISSED_CALLS_AWAY = 2
    await configure(ring_timeout=10)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await sweep(in_seconds=11)
    await incoming(ann, call_id)  # rung again: the only one who could answer
    await sweep(in_seconds=22)
    await ann.until("presence", status="away")
    # Ringing twice is one "ringing" for the caller: its legs change, not its state.
    await ended_with_nobody_left(visitor, call_id)


async def test_a_caller_waits_for_a_busy_agent_until_that_agent_goes_away(parties, sales):
    ann = await parties("ann")
    first = await parties("visitor")
    busy = await create(first)
    await incoming(ann, busy)
    await answer(first, ann, busy)
    second = await parties("visitor")
    call_id = await create(second)
    await second.until("queue.position", call_id=call_id, position=1)
    await ann.ok("presence.set", status="away")  # ann will take no call after this one
    assert await second.states(call_id, until="ended") == ["ended"]
    log = await ring_log(call_id)
    assert [e["name"] for e in log] == ["create", "queued", "no_agents"]
    assert log[-1]["why"] == "no agent who could answer is left"
    await first.silent()  # the call in progress goes on


async def test_a_queue_that_waits_anyway_keeps_the_caller_when_nobody_could_answer(parties, sales):
    await configure(wait_when_empty=True)
    ann = await parties("ann")
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(ann, call_id)
    await ann.ok("call.reject", call_id=call_id)
    await visitor.until("call.state", call_id=call_id, state="queued", previous="ringing")
    position = await visitor.until("queue.position", call_id=call_id)
    assert position["agents_available"] == 0


async def test_longest_idle_skips_away_and_busy_agents_and_rings_both_tabs_of_the_one_chosen(
    parties, sales
):
    await configure(strategy="longest_idle")
    ann, ben = await parties("ann"), await parties("ben")
    cat1, cat2 = await parties("cat"), await parties("cat")
    await make_idle("ann", 60)  # idle longest, but about to be busy
    await make_idle("ben", 50)  # next, but away
    await make_idle("cat", 5)
    await ben.ok("presence.set", status="away")
    first = await parties("visitor")
    busy = await create(first)
    await incoming(ann, busy)
    await answer(first, ann, busy)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    await incoming(cat1, call_id)
    await incoming(cat2, call_id)
    await answer(visitor, cat2, call_id)
    await cat1.until("call.state", call_id=call_id, state="ended", reason="answered_elsewhere")
    ring = next(e for e in await ring_log(call_id) if e["name"] == "ring")
    assert ring["agents"] == [addr("cat")]
    assert ring["skipped"] == {"ann": "busy", "ben": "away", "dan": "offline"}


async def test_a_queue_answered_instantly_so_far_still_estimates_a_real_wait(parties, sales):
    now = timezone.now()

    def instant_history():
        site = sales.sites.get()
        Call.objects.create(
            site=site,
            caller_identity="x",
            target=SALES,
            queue=sales,
            media="audio",
            phase="ended",
            offer_sdp="v=0",
            answered=now,
            end_reason="ended_by_local",
        )

    await sync(instant_history)()
    await configure(wait_when_empty=True)
    visitor = await parties("visitor")
    call_id = await create(visitor)
    position = await visitor.until("queue.position", call_id=call_id)
    assert position["estimated_wait_s"] == 30
