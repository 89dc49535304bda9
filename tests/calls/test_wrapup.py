"""After-call work: an agent whose call ended wraps up (not rung) until its time runs out,
it says it is ready or it saves the call's outcome; away reasons for supervisors."""

import importlib
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from supportcall.calls.models import Call, CallEvent, Disposition, WrapUp
from supportcall.calls.supervision import snapshot
from supportcall.directory.models import Agent, AwayReason, Queue
from tests.support.calls import answer, ring, sweep
from tests.support.sdps import OFFER
from tests.support.ws import addr, resume, sync

SUPPORT = addr("support")


@pytest.fixture
def outcomes(directory):
    """Queue 'support' wraps up 10 s; outcomes: shared 'Solved', support's 'Refund',
    billing's 'Invoice' (not offered for support's calls), an inactive 'Old'."""
    Queue.objects.filter(name="support").update(wrap_up_seconds=10)
    billing = Queue.objects.get(name="billing")
    support = Queue.objects.get(name="support")
    return {
        "solved": Disposition.objects.create(label="Solved", order=1).pk,
        "refund": Disposition.objects.create(label="Refund", queue=support, order=2).pk,
        "invoice": Disposition.objects.create(label="Invoice", queue=billing).pk,
        "old": Disposition.objects.create(label="Old", active=False).pk,
    }


def offered(outcomes) -> list[dict]:
    return [
        {"id": outcomes["solved"], "label": "Solved"},
        {"id": outcomes["refund"], "label": "Refund"},
    ]


async def call_ends(parties, alice=None):
    """Alice answers a support call, the visitor hangs up: alice's wrap-up event."""
    alice = alice or await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await alice.event("call.state", call_id=call_id, state="ended", reason="ended_by_remote")
    return alice, call_id, await alice.event("agent.wrap_up", call_id=call_id)


async def log(call_id) -> list[tuple[str, dict]]:
    return await sync(
        lambda: [(e.name, e.detail) for e in CallEvent.objects.filter(call_id=call_id)]
    )()


async def record(call_id) -> Call:
    return await sync(lambda: Call.objects.select_related("disposition").get(pk=call_id))()


async def waiting_call(parties) -> tuple[object, str]:
    """A second visitor calls support while alice wraps up (bob is offline): it waits."""
    visitor = await parties("visitor")
    ack = await visitor.ok("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
    call_id = ack["call_id"]
    assert await visitor.states(call_id, until="queued") == ["initiated", "queued"]
    return visitor, call_id


def seconds_until(event) -> float:
    until = datetime.fromisoformat(event["until"])
    return (until - timezone.now()).total_seconds()


# --- wrap-up starts, and routing skips the agent ------------------------------


async def test_an_agent_whose_call_ended_is_not_rung_until_its_wrap_up_runs_out(parties, outcomes):
    alice, first, wrap = await call_ends(parties)
    assert wrap == {
        "type": "agent.wrap_up",
        "call_id": first,
        "active": True,
        "until": wrap["until"],
        "remaining_s": 10,
        "extended": False,
        "can_extend": True,
        "dispositions": offered(outcomes),
    }
    assert 9 <= seconds_until(wrap) <= 10
    visitor, second = await waiting_call(parties)
    await alice.event("queue.waiting", queue=SUPPORT, waiting=1)
    await alice.silent()  # not rung
    queued = next(d for name, d in await log(second) if name == "queued")
    assert queued["skipped"] == {"alice": "in wrap-up", "bob": "offline"}

    await sweep(in_seconds=5)  # not yet
    await alice.silent()
    await sweep(in_seconds=11)
    assert await alice.event("agent.wrap_up", call_id=first, active=False, until=None)
    await alice.event("call.incoming", call_id=second)
    await visitor.until("call.state", call_id=second, state="ringing", previous="queued")
    row = await record(first)
    assert row.wrap_up_ended is not None and row.disposition is None and row.notes == ""
    assert [(n, d.get("how")) for n, d in await log(first)][-2:] == [
        ("wrap_up", None),
        ("wrap_up_end", "time ran out"),
    ]
    assert not await sync(WrapUp.objects.exists)()


async def test_ready_ends_the_wrap_up_and_the_waiting_caller_rings_the_agent(parties, outcomes):
    alice, first, _ = await call_ends(parties)
    _visitor, second = await waiting_call(parties)
    ack = await alice.ok("wrapup.end")
    assert ack["call_id"] == first
    await alice.until("agent.wrap_up", call_id=first, active=False)
    await alice.until("call.incoming", call_id=second)
    assert [d.get("how") for n, d in await log(first) if n == "wrap_up_end"] == ["ready"]


async def test_save_puts_the_outcome_and_the_notes_on_the_call_record_and_ends_the_wrap_up(
    parties, outcomes
):
    alice, call_id, _ = await call_ends(parties)
    notes = "Refunded order 1234.\nCall back on Monday."
    await alice.ok("wrapup.save", call_id=call_id, disposition=outcomes["refund"], notes=notes)
    await alice.until("agent.wrap_up", call_id=call_id, active=False)
    row = await record(call_id)
    assert (row.disposition.label, row.notes) == ("Refund", notes)
    assert row.wrap_up_ended is not None
    await alice.fails("invalid_state", "wrapup.end")  # over: nothing left to end
    assert [d.get("how") for n, d in await log(call_id) if n == "wrap_up_end"] == ["saved"]


async def test_save_without_an_outcome_keeps_the_notes_alone(parties, outcomes):
    alice, call_id, _ = await call_ends(parties)
    await alice.ok("wrapup.save", call_id=call_id, notes="No answer from the caller")
    row = await record(call_id)
    assert (row.disposition, row.notes) == (None, "No answer from the caller")


async def test_every_tab_of_the_agent_hears_its_wrap_up_start_and_end(parties, outcomes):
    tab1, tab2 = await parties("alice"), await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, tab1, tab2)
    await answer(visitor, tab1, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await tab1.until("agent.wrap_up", call_id=call_id, active=True)
    await tab2.until("agent.wrap_up", call_id=call_id, active=True)
    await tab2.ok("wrapup.end")
    await tab1.until("agent.wrap_up", call_id=call_id, active=False)


# --- extending, and wrap-up until the agent is ready ----------------------------


async def test_extend_adds_the_queues_wrap_up_time_once_and_a_second_is_refused(parties, outcomes):
    alice, call_id, wrap = await call_ends(parties)
    ack = await alice.ok("wrapup.extend")
    extended = await alice.until("agent.wrap_up", call_id=call_id)
    assert ack["until"] == extended["until"]
    assert extended["active"] and extended["extended"] and not extended["can_extend"]
    gained = datetime.fromisoformat(extended["until"]) - datetime.fromisoformat(wrap["until"])
    assert gained == timedelta(seconds=10)
    reply = await alice.fails("invalid_state", "wrapup.extend")
    assert "once" in reply["message"]
    await sweep(in_seconds=11)  # the first deadline passed: still wrapping up
    await alice.silent()
    await sweep(in_seconds=21)
    await alice.event("agent.wrap_up", call_id=call_id, active=False)


async def test_a_wrap_up_time_of_0_lasts_until_the_agent_is_ready(parties, outcomes):
    await sync(lambda: Queue.objects.filter(name="support").update(wrap_up_seconds=0))()
    alice, _call_id, wrap = await call_ends(parties)
    assert (wrap["until"], wrap["remaining_s"], wrap["can_extend"]) == (None, None, False)
    await sweep(in_seconds=3600)
    await alice.silent()
    reply = await alice.fails("invalid_state", "wrapup.extend")
    assert "until you are ready" in reply["message"]
    _visitor, second = await waiting_call(parties)
    await alice.ok("wrapup.end")
    await alice.until("call.incoming", call_id=second)


async def test_a_queue_without_wrap_up_a_direct_call_and_an_unanswered_call_give_none(
    parties, outcomes
):
    alice = await parties("alice")
    # Unanswered: the caller gives up while it rings.
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await alice.silent()
    # A direct call to alice, answered and ended.
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice, to="alice")
    await answer(visitor, alice, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await alice.silent()
    # A queue without after-call work.
    await sync(lambda: Queue.objects.filter(name="support").update(wrap_up_seconds=None))()
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await alice.silent()
    assert not await sync(WrapUp.objects.exists)()


async def test_a_resumed_agent_hears_in_its_hello_that_it_is_in_wrap_up(parties, outcomes):
    alice, _call_id, wrap = await call_ends(parties)
    again = await resume(alice, origin=None)
    assert again.hello["wrap_up"] == {**wrap, "remaining_s": again.hello["wrap_up"]["remaining_s"]}
    assert again.hello["wrap_up"]["remaining_s"] in (9, 10)
    await again.ok("wrapup.end")
    await again.close()


# --- bad input --------------------------------------------------------------


async def test_wrap_up_requests_outside_a_wrap_up_are_invalid_state(parties, outcomes):
    alice = await parties("alice")
    some_call = "00000000-0000-0000-0000-000000000000"
    for request, fields in (
        ("wrapup.save", {"call_id": some_call}),
        ("wrapup.extend", {}),
        ("wrapup.end", {}),
    ):
        reply = await alice.fails("invalid_state", request, **fields)
        assert reply["message"] == "you are not in wrap-up"


async def test_bad_wrap_up_requests_are_refused_and_the_wrap_up_goes_on(parties, outcomes):
    alice, call_id, _ = await call_ends(parties)
    bad = [
        ("bad_request", {"disposition": 999_999}),  # unknown
        ("bad_request", {"disposition": outcomes["invoice"]}),  # another queue's
        ("bad_request", {"disposition": outcomes["old"]}),  # no longer offered
        ("bad_request", {"disposition": "Solved"}),  # by id only
        ("bad_request", {"disposition": True}),
        ("bad_request", {"notes": "x" * 2001}),  # over SUPPORTCALL_WRAP_UP_NOTES
        ("bad_request", {"notes": "bell \x07"}),
        ("bad_request", {"notes": 42}),
    ]
    for code, fields in bad:
        await alice.fails(code, "wrapup.save", call_id=call_id, **fields)
    await alice.fails("bad_request", "wrapup.save", call_id="not-a-call")
    await alice.fails("bad_request", "wrapup.save")  # which call?
    other = "00000000-0000-0000-0000-000000000000"
    reply = await alice.fails("invalid_state", "wrapup.save", call_id=other)
    assert "not for the call" in reply["message"]
    visitor = await parties("visitor")
    await visitor.fails("forbidden", "wrapup.end")
    await alice.silent()
    assert await sync(WrapUp.objects.filter(call_id=call_id).exists)()
    row = await record(call_id)
    assert (row.disposition, row.notes, row.wrap_up_ended) == (None, "", None)
    await alice.ok("wrapup.save", call_id=call_id, notes="x" * 2000, disposition=None)


# --- away reasons -------------------------------------------------------------


@pytest.fixture
def reasons(directory):
    """The away reasons a new installation has (the data migration's; a transactional
    test's database is emptied between tests)."""
    for order, label in enumerate(["Break", "Lunch", "Training", "Meeting"]):
        AwayReason.objects.get_or_create(label=label, defaults={"order": order})


def agent_in_snapshot(name: str) -> dict:
    return next(a for a in snapshot()["agents"] if a["address"] == addr(name))


async def test_away_with_a_reason_shows_in_the_supervisors_view_with_how_long(parties, reasons):
    alice = await parties("alice")
    ack = await alice.ok("presence.set", status="away", reason="lunch")
    assert ack["reason"] == "Lunch"
    await alice.until("presence", status="away", away_reason="Lunch")
    seen = await sync(agent_in_snapshot)("alice")
    assert seen["presence"] == "away"
    assert seen["away"]["reason"] == "Lunch" and seen["away"]["since_s"] == 0
    since = datetime.fromisoformat(seen["away"]["since"])
    assert abs((timezone.now() - since).total_seconds()) < 5
    again = await resume(alice, origin=None)
    assert again.hello["away_reason"] == "Lunch"
    await again.close()
    meeting = await sync(lambda: AwayReason.objects.get(label="Meeting").pk)()
    await (await parties("alice")).ok("presence.set", status="away", reason=meeting)
    assert (await sync(agent_in_snapshot)("alice"))["away"]["reason"] == "Meeting"


async def test_back_from_away_the_reason_and_its_time_are_cleared(parties, reasons):
    alice = await parties("alice")
    await alice.ok("presence.set", status="away", reason="Break")
    await alice.ok("presence.set", status="available")
    seen = await sync(agent_in_snapshot)("alice")
    assert (seen["presence"], seen["away"]) == ("available", None)
    row = await sync(lambda: Agent.objects.get(user__username="alice"))()
    assert (row.away_reason_id, row.away_since) == (None, None)


async def test_away_without_a_reason_is_away_with_none(parties):
    alice = await parties("alice")
    await alice.ok("presence.set", status="away")
    assert (await sync(agent_in_snapshot)("alice"))["away"]["reason"] == ""


async def test_an_unknown_or_inactive_away_reason_is_refused(parties, reasons):
    await sync(lambda: AwayReason.objects.filter(label="Training").update(active=False))()
    alice = await parties("alice")
    for reason in ("Nap", "Training", 999_999, "", True, "¹", 2**70, -1, "9" * 30):
        await alice.fails("bad_request", "presence.set", status="away", reason=reason)
    await alice.fails("bad_request", "presence.set", status="available", reason="Lunch")
    await alice.silent()
    seen = await sync(agent_in_snapshot)("alice")
    assert (seen["presence"], seen["away"]) == ("available", None)


def test_a_new_installation_has_the_four_away_reasons(db):
    AwayReason.objects.all().delete()  # a transactional test before may have left none
    migration = importlib.import_module("supportcall.directory.migrations.0008_seed_away_reasons")
    migration.seed(apps, None)
    assert list(AwayReason.objects.values_list("label", flat=True)) == [
        "Break",
        "Lunch",
        "Training",
        "Meeting",
    ]
