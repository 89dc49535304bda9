"""The visitor's rating: the caller of an answered call rates it once, after the end,
within the window; every refusal leaves the record as it was."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from supportcall.calls.models import Call, CallEvent
from supportcall.directory.models import Site
from supportcall.webhooks.models import Endpoint, Event
from tests.support.calls import answer, ring
from tests.support.ws import addr, sync


def rating_of(call_id: str) -> tuple:
    row = Call.objects.select_related("agent__user", "queue").get(pk=call_id)
    return (
        row.rating,
        row.rating_comment,
        row.rated_at is not None,
        row.agent.address if row.agent else None,
        row.queue.name if row.queue else None,
    )


NOT_RATED = (None, "", False, addr("alice"), "support")


@pytest.fixture
async def ended(parties):
    """Ada called, alice answered, Ada hung up: the call waits for its rating."""
    visitor = await parties("visitor", display_name="Ada")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    await visitor.until("call.state", call_id=call_id, state="ended")
    return visitor, alice, call_id


async def test_the_caller_rates_an_ended_call_and_it_goes_on_the_record_with_agent_and_queue(ended):
    visitor, alice, call_id = ended
    ack = await visitor.ok("call.rate", call_id=call_id, stars=4, comment="  Quick and kind  ")
    assert (ack["call_id"], ack["stars"]) == (call_id, 4)
    assert isinstance(ack["rated"], str)
    assert await sync(rating_of)(call_id) == (4, "Quick and kind", True, addr("alice"), "support")
    # The agent's connections are told: its recent calls show the rating.
    assert await alice.until("call.rated") == {"type": "call.rated", "call_id": call_id, "stars": 4}
    names = await sync(
        lambda: list(CallEvent.objects.filter(call_id=call_id).values_list("name", flat=True))
    )()
    assert names[-1] == "rate"


async def test_a_rating_without_a_comment_is_just_the_stars(ended):
    visitor, _, call_id = ended
    await visitor.ok("call.rate", call_id=call_id, stars=1)
    assert await sync(rating_of)(call_id) == (1, "", True, addr("alice"), "support")


async def test_html_in_a_comment_is_kept_as_the_text_it_is(ended):
    visitor, _, call_id = ended
    html = "<script>alert(1)</script> ok"
    await visitor.ok("call.rate", call_id=call_id, stars=3, comment=html)
    assert (await sync(rating_of)(call_id))[1] == html


async def test_a_call_is_rated_once(ended):
    visitor, _, call_id = ended
    await visitor.ok("call.rate", call_id=call_id, stars=5)
    reply = await visitor.fails("invalid_state", "call.rate", call_id=call_id, stars=1)
    assert "already" in reply["message"]
    assert (await sync(rating_of)(call_id))[0] == 5


async def test_the_agent_cannot_rate_the_call(ended):
    _, alice, call_id = ended
    await alice.fails("forbidden", "call.rate", call_id=call_id, stars=5)
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_another_visitor_cannot_rate_someone_elses_call(ended, parties):
    _, _, call_id = ended
    stranger = await parties("visitor", display_name="Eve")
    await stranger.fails("not_found", "call.rate", call_id=call_id, stars=1)
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_a_call_in_progress_is_not_rated_yet(parties):
    visitor = await parties("visitor")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    reply = await visitor.fails("invalid_state", "call.rate", call_id=call_id, stars=5)
    assert "ended" in reply["message"]
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_a_call_nobody_answered_is_not_rated(parties):
    visitor = await parties("visitor")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await visitor.ok("call.end", call_id=call_id)
    await visitor.until("call.state", call_id=call_id, state="ended")
    reply = await visitor.fails("invalid_state", "call.rate", call_id=call_id, stars=5)
    assert "answered" in reply["message"]
    assert (await sync(rating_of)(call_id))[:3] == (None, "", False)


async def test_a_rating_after_the_window_is_refused(ended, settings):
    visitor, _, call_id = ended
    window = settings.SUPPORTCALL_RATING_WINDOW
    late = timedelta(seconds=window + 1)
    await sync(
        lambda: Call.objects.filter(pk=call_id).update(
            ended=Call.objects.get(pk=call_id).ended - late
        )
    )()
    reply = await visitor.fails("invalid_state", "call.rate", call_id=call_id, stars=5)
    assert f"{window:g} s" in reply["message"]
    assert await sync(rating_of)(call_id) == NOT_RATED


@pytest.mark.parametrize("stars", [0, 6, -1, 4.5, "5", True, None])
async def test_stars_out_of_one_to_five_are_a_bad_request(ended, stars):
    visitor, _, call_id = ended
    await visitor.fails("bad_request", "call.rate", call_id=call_id, stars=stars)
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_a_rating_without_stars_is_a_bad_request(ended):
    visitor, _, call_id = ended
    await visitor.fails("bad_request", "call.rate", call_id=call_id, comment="great")
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_a_comment_over_the_limit_is_too_large(ended, settings):
    visitor, _, call_id = ended
    comment = "x" * (settings.SUPPORTCALL_RATING_COMMENT + 1)
    await visitor.fails("too_large", "call.rate", call_id=call_id, stars=5, comment=comment)
    assert await sync(rating_of)(call_id) == NOT_RATED
    # At the limit it is taken.
    await visitor.ok("call.rate", call_id=call_id, stars=5, comment=comment[:-1])


async def test_a_comment_with_control_characters_is_a_bad_request(ended):
    visitor, _, call_id = ended
    await visitor.fails("bad_request", "call.rate", call_id=call_id, stars=5, comment="a\x00b")
    assert await sync(rating_of)(call_id) == NOT_RATED


async def test_a_rating_is_a_call_rated_webhook_event_with_the_call_summary(ended):
    visitor, _, call_id = ended

    def subscribe():
        endpoint = Endpoint.objects.create(
            site=Site.objects.get(key="shop"), url="http://127.0.0.1:9/h", events=["call.rated"]
        )
        endpoint.rotate_secret()

    await sync(subscribe)()
    await visitor.ok("call.rate", call_id=call_id, stars=2, comment="Echo on the line")
    bodies = await sync(
        lambda: [json.loads(e.body) for e in Event.objects.filter(call_id=call_id)]
    )()
    assert [b["type"] for b in bodies] == ["call.rated"]
    data = bodies[0]["data"]
    assert data["rating"]["stars"] == 2 and data["rating"]["comment"] == "Echo on the line"
    assert data["call"]["agent"]["address"] == addr("alice")
    queue = await sync(lambda: Call.objects.select_related("queue").get(pk=call_id).queue.address)()
    assert data["call"]["queue"] == queue
