"""Webhooks against a real receiver: every event of a call arrives, signed, in order,
whatever the receiver does meanwhile (down, failing, slow), and only once committed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from supportcall.callbacks import services
from supportcall.calls.models import Disposition
from supportcall.directory.models import Agent, Queue, Site
from supportcall.webhooks import worker
from supportcall.webhooks.models import Delivery, Event
from tests.support.calls import answer, ring
from tests.support.receiver import Receiver, per_call
from tests.support.ws import sync

from .conftest import endpoint_for

ANSWERED_CALL = ["call.created", "call.ringing", "call.answered", "call.ended"]


async def answered_call(parties, alice=None) -> str:
    """A visitor calls support, alice answers, the visitor hangs up."""
    alice = alice or await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    return call_id


def deliveries() -> list[tuple[str, int]]:
    return list(Delivery.objects.order_by("id").values_list("status", "attempts"))


async def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Until ``check()`` holds in the database (polled: the worker writes it there)."""
    for _ in range(int(timeout / 0.02)):
        if await sync(check)():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never: {check.__doc__}; deliveries: {await sync(deliveries)()}")


async def settled(expected: list[tuple[str, int]]) -> None:
    """Until the deliveries are ``expected`` (status, attempts): the receiver may have an
    event before its worker recorded the answer."""
    await eventually(lambda: deliveries() == expected)


async def test_a_calls_events_arrive_signed_in_order_with_the_ended_calls_summary(
    parties, receiver, posting
):
    call_id = await answered_call(parties)
    await receiver.until(lambda r: len(r.delivered()) == 4)
    assert per_call(receiver.delivered()) == {call_id: ANSWERED_CALL}
    assert all(post.signed for post in receiver.posts)
    assert len(set(receiver.ids())) == 4  # one id per event, for de-duplication
    ended = receiver.posts[-1].event["data"]
    assert ended["call"]["agent"]["address"].startswith("alice@")
    assert ended["call"]["caller"]["identity"]
    assert ended["end_reason"] == "ended_by_local"
    assert ended["ended_by"] == "caller"
    assert ended["rating"] is None and ended["quality"] == {}
    assert {"disposition", "notes", "talk_seconds", "wait_seconds"} <= ended.keys()
    await settled([("delivered", 1)] * 4)


async def test_a_call_nobody_answers_is_ended_and_missed(parties, receiver, posting):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.ok("call.end", call_id=call_id)
    await receiver.until(lambda r: len(r.delivered()) == 4)
    assert per_call(receiver.delivered()) == {
        call_id: ["call.created", "call.ringing", "call.ended", "call.missed"]
    }
    missed = receiver.posts[-1].event["data"]
    assert (missed["end_reason"], missed["call"]["answered"]) == ("ended_by_local", None)


async def test_events_kept_while_the_receiver_is_down_all_arrive_in_order_per_call(
    parties, directory, posting
):
    down = Receiver()  # nothing listens on its port yet
    await sync(endpoint_for)(down)
    alice = await parties("alice")
    first = await answered_call(parties, alice)
    second = await answered_call(parties, alice)

    def refused_again() -> bool:
        """the first delivery was refused twice"""
        rows = Delivery.objects.filter(attempts__gte=2)
        return rows.exists() and "ConnectionError" in rows.first().last_error

    await eventually(refused_again)
    down.start()
    try:
        await down.until(lambda r: len(r.delivered()) == 8)
        assert per_call(down.delivered()) == {first: ANSWERED_CALL, second: ANSWERED_CALL}
        assert all(post.signed for post in down.posts)
    finally:
        down.stop()


async def test_a_receiver_answering_500_gets_the_same_event_again_until_it_takes_it(
    parties, directory, posting
):
    flaky = Receiver(status=lambda n: 500 if n < 2 else 200).start()
    await sync(endpoint_for)(flaky)
    try:
        call_id = await answered_call(parties)
        await flaky.until(lambda r: len(r.delivered()) == 4)
        created = [p for p in flaky.posts if p.event["type"] == "call.created"]
        assert [p.status for p in created] == [500, 500, 200]
        assert len({p.event["id"] for p in created}) == 1  # the same event, three times
        assert per_call(flaky.delivered()) == {call_id: ANSWERED_CALL}
        await settled([("delivered", 3)] + [("delivered", 1)] * 3)
    finally:
        flaky.stop()


async def test_a_slow_receiver_does_not_hold_up_another_endpoints_events(
    parties, receiver, posting
):
    slow = Receiver().start()
    slow.gate.clear()  # holds every post until the test lets it go
    await sync(endpoint_for)(slow)
    try:
        call_id = await answered_call(parties)
        await slow.until(lambda r: r.started == 1)  # its first event, held there
        await receiver.until(lambda r: len(r.delivered()) == 4)
        # Still held: nothing of it answered, and none of the call's later events sent.
        assert (slow.started, slow.posts) == (1, [])
        slow.gate.set()
        await slow.until(lambda r: len(r.delivered()) == 4)
        assert per_call(slow.delivered()) == {call_id: ANSWERED_CALL}
    finally:
        slow.stop()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_failing_past_its_last_try_is_failed_with_its_error_and_can_be_resent(
    directory, settings
):
    settings.SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS = 2
    failing = Receiver(status=lambda n: 503 if n < 2 else 200).start()
    endpoint_for(failing)
    try:
        request = services.leave(
            Site.objects.get(key="shop"), {"name": "Ann", "phone": "+1 555 0100"}
        )
        (delivery,) = Delivery.objects.all()
        for _ in range(2):
            worker.deliver(delivery.id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("failed", 2)
        assert delivery.last_error == "HTTP 503: 'not now'"
        assert worker.claim(10) == []  # failed: not sent again on its own
        assert worker.resend([delivery.id]) == 1
        assert worker.claim(10) == [delivery.id]
        worker.deliver(delivery.id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
        assert failing.delivered() == [("callback.requested", str(request.pk))]
    finally:
        failing.stop()


@pytest.mark.django_db(transaction=True)
def test_callback_requests_claims_and_dones_are_events_in_order(receiver):
    request = services.leave(Site.objects.get(key="shop"), {"name": "Ann", "email": "a@b.test"})
    alice = Agent.objects.get(user__username="alice")
    services.claim(alice, request.pk)
    services.finish(alice, request.pk)
    while ids := worker.claim(10):
        for delivery_id in ids:
            worker.deliver(delivery_id)
    assert receiver.delivered() == [
        ("callback.requested", str(request.pk)),
        ("callback.claimed", str(request.pk)),
        ("callback.done", str(request.pk)),
    ]
    assert receiver.posts[-1].event["data"]["callback"]["status"] == "done"


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_records_no_event(receiver):
    site = Site.objects.get(key="shop")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.leave(site, {"name": "Ann", "phone": "+1 555 0100"})
        raise RuntimeError("the change fails after its event was recorded")
    assert Event.objects.count() == 0 and worker.claim(10) == []


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_gets_only_the_events_it_asked_for(directory):
    picky = Receiver().start()
    endpoint_for(picky, events=["callback.done"])
    try:
        services.leave(Site.objects.get(key="shop"), {"name": "Ann", "phone": "+1 555 0100"})
        assert Event.objects.count() == 0
    finally:
        picky.stop()


@pytest.mark.django_db(transaction=True)
def test_events_every_endpoint_took_are_pruned_after_their_retention_failed_ones_kept(
    receiver, settings
):
    site = Site.objects.get(key="shop")
    taken = services.leave(site, {"name": "Ann", "phone": "+1 555 0100"})
    services.leave(site, {"name": "Bea", "phone": "+1 555 0101"})
    first, second = Delivery.objects.order_by("id")
    worker.deliver(first.id)
    Delivery.objects.filter(pk=second.pk).update(status=Delivery.Status.FAILED)
    later = timezone.now() + timedelta(seconds=settings.SUPPORTCALL_WEBHOOK_RETENTION + 1)
    assert worker.prune(timezone.now()) == 0  # not old enough yet
    assert worker.prune(later) == 1
    assert list(Delivery.objects.values_list("status", flat=True)) == ["failed"]
    assert receiver.delivered() == [("callback.requested", str(taken.pk))]


async def test_a_transfer_is_call_transferred_then_ringing_again(parties, receiver):
    """The real call.transfer operation: its log name drives the hook."""
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await parties("bob")  # online: free to take it

    await alice.ok("call.transfer", call_id=call_id, to="bob@support.example.com")

    await alice.until("call.state", call_id=call_id, state="ended", reason="transferred")
    await visitor.until("call.reoffer", call_id=call_id, kind="transfer")

    def types() -> list[str]:
        return list(Delivery.objects.order_by("id").values_list("event__type", flat=True))

    assert await sync(types)() == [
        "call.created",
        "call.ringing",
        "call.answered",
        "call.transferred",
        "call.ringing",
    ]
    await visitor.ok("call.end", call_id=call_id)


@pytest.mark.django_db(transaction=True)
def test_the_command_posts_what_is_due_when_the_servers_do_not(receiver):
    request = services.leave(Site.objects.get(key="shop"), {"name": "Ann", "email": "a@b.test"})
    out = io.StringIO()
    call_command("deliver_webhooks", "--once", stdout=out)
    assert out.getvalue() == "webhooks: 1 posts, 0 old events deleted\n"
    assert receiver.delivered() == [("callback.requested", str(request.pk))]


async def test_the_end_of_wrap_up_is_call_wrapped_up_with_the_outcome_and_notes(
    parties, receiver, posting
):
    def wraps_up() -> int:
        Queue.objects.filter(name="support").update(wrap_up_seconds=10)
        return Disposition.objects.create(label="Solved").pk

    solved = await sync(wraps_up)()
    alice = await parties("alice")
    call_id = await answered_call(parties, alice)
    await alice.until("agent.wrap_up", call_id=call_id, active=True)
    await alice.ok("wrapup.save", call_id=call_id, disposition=solved, notes="Reset the router")
    await receiver.until(lambda r: len(r.delivered()) == 5)
    assert per_call(receiver.delivered()) == {call_id: [*ANSWERED_CALL, "call.wrapped_up"]}
    wrapped = receiver.posts[-1].event["data"]
    assert (wrapped["disposition"], wrapped["notes"]) == ("Solved", "Reset the router")
    assert wrapped["wrap_up"] == {"agent": wrapped["call"]["agent"]["address"], "how": "saved"}
