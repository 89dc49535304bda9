"""Chat in a call: messages both ways in one order, kept, replayed on resume; typing relayed.

Every refused request leaves the call, and every other call, as it was.
"""

from __future__ import annotations

import uuid

import pytest

from supportcall.calls.models import Call, ChatMessage
from supportcall.directory.models import Queue
from tests.support.calls import answer, in_call, reoffer, ring
from tests.support.sdps import OFFER, hold, unhold
from tests.support.ws import addr, resume, sync


def said(call_id: str, seq: int, sender: str, text: str, name: str, **more) -> dict:
    """A chat.message as both parties receive it (``sent`` is checked apart)."""
    return {
        "type": "chat.message",
        "call_id": call_id,
        "seq": seq,
        "sender": sender,
        "display_name": name,
        "text": text,
        **more,
    }


def without_time(event: dict) -> dict:
    assert isinstance(event.pop("sent"), str)
    return event


async def messages(party, n: int) -> list[dict]:
    return [without_time(await party.event("chat.message")) for _ in range(n)]


async def record(call_id: str) -> list[tuple[int, str, str]]:
    rows = ChatMessage.objects.filter(call_id=call_id).order_by("seq")
    return await sync(lambda: list(rows.values_list("seq", "sender", "text")))()


async def test_messages_go_both_ways_in_one_order_each_acknowledged_with_its_seq(call):
    visitor, alice, call_id = call
    first = await visitor.ok("chat.send", call_id=call_id, text="My order is 1042")
    assert (first["call_id"], first["seq"]) == (call_id, 1)
    assert isinstance(first["sent"], str)
    second = await alice.ok("chat.send", call_id=call_id, text="Found it, one moment")
    third = await visitor.ok("chat.send", call_id=call_id, text="Thanks\nreally")
    assert (second["seq"], third["seq"]) == (2, 3)

    expected = [
        said(call_id, 1, "caller", "My order is 1042", "Ada"),
        said(call_id, 2, "agent", "Found it, one moment", "alice"),
        said(call_id, 3, "caller", "Thanks\nreally", "Ada"),
    ]
    # The sender's own connection gets its message too: both read one order.
    assert await messages(visitor, 3) == expected
    assert await messages(alice, 3) == expected
    await visitor.silent()
    await alice.silent()


async def test_the_chat_is_kept_on_the_call_record(call):
    visitor, alice, call_id = call
    await visitor.ok("chat.send", call_id=call_id, text="hello")
    await alice.ok("chat.send", call_id=call_id, text="hi Ada")
    assert await record(call_id) == [(1, "caller", "hello"), (2, "agent", "hi Ada")]


async def test_html_in_a_message_is_kept_and_sent_as_the_text_it_is(call):
    visitor, alice, call_id = call
    html = '<img src=x onerror="alert(1)"><b>bold</b> &amp;'
    await visitor.ok("chat.send", call_id=call_id, text=html)
    assert (await alice.event("chat.message"))["text"] == html
    assert await record(call_id) == [(1, "caller", html)]


async def test_chat_goes_on_while_the_call_is_held_and_under_a_re_offer(call):
    visitor, alice, call_id = call
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    await visitor.until("call.state", call_id=call_id, state="remotely_held")
    await visitor.ok("chat.send", call_id=call_id, text="still there?")
    assert (await alice.until("chat.message"))["text"] == "still there?"
    # A re-offer waiting for its answer blocks operations, not chat.
    await alice.ok("call.unhold", call_id=call_id, sdp=unhold("audio"))
    await visitor.until("call.offer", call_id=call_id)
    await alice.ok("chat.send", call_id=call_id, text="yes")
    assert (await visitor.until("chat.message"))["seq"] == 2


async def test_a_resumed_party_gets_the_chat_replayed_after_its_call(call):
    visitor, alice, call_id = call
    await visitor.ok("chat.send", call_id=call_id, text="before the drop")
    await visitor.event("chat.message")
    await visitor.close()
    await alice.until("call.media", connection="reconnecting")
    # Sent while the visitor is away: its event goes to the dead connection.
    await alice.ok("chat.send", call_id=call_id, text="are you back?")

    back = await resume(visitor)
    frames = await back.events(4)
    assert [f["type"] for f in frames] == [
        "call.state",
        "call.media",
        "chat.message",
        "chat.message",
    ]
    assert [without_time(f) for f in frames[2:]] == [
        said(call_id, 1, "caller", "before the drop", "Ada"),
        said(call_id, 2, "agent", "are you back?", "alice"),
    ]
    # The chat goes on through the new connection.
    await back.ok("chat.send", call_id=call_id, text="yes")
    assert (await back.event("chat.message"))["seq"] == 3
    assert (await alice.until("chat.message", seq=3))["text"] == "yes"
    await back.close()


async def test_the_replay_after_a_resume_is_bounded_by_a_setting(call, settings):
    visitor, alice, call_id = call
    settings.SUPPORTCALL_CHAT_REPLAY = 2
    for text in ("one", "two", "three"):
        await alice.ok("chat.send", call_id=call_id, text=text)
    await visitor.close()
    back = await resume(visitor)
    frames = await back.events(4)
    assert [(f["type"], f.get("seq")) for f in frames] == [
        ("call.state", None),
        ("call.media", None),
        ("chat.message", 2),
        ("chat.message", 3),
    ]
    await back.silent()
    await back.close()


async def test_a_retried_client_id_is_acknowledged_again_and_not_sent_twice(call):
    visitor, alice, call_id = call
    first = await visitor.ok("chat.send", call_id=call_id, text="hello", client_id="v-1")
    again = await visitor.ok("chat.send", call_id=call_id, text="hello", client_id="v-1")
    assert (again["seq"], again["sent"]) == (first["seq"], first["sent"])
    event = await alice.event("chat.message")
    assert (event["seq"], event["client_id"]) == (1, "v-1")
    await alice.silent()
    # The other party's client ids are its own.
    other = await alice.ok("chat.send", call_id=call_id, text="hi", client_id="v-1")
    assert other["seq"] == 2
    assert await record(call_id) == [(1, "caller", "hello"), (2, "agent", "hi")]


async def test_typing_reaches_the_other_party_only_and_is_not_kept(call):
    visitor, alice, call_id = call
    await visitor.ok("chat.typing", call_id=call_id, typing=True)
    assert await alice.events(1) == [{"type": "chat.typing", "call_id": call_id, "typing": True}]
    await alice.ok("chat.typing", call_id=call_id, typing=False)
    assert await visitor.events(1) == [{"type": "chat.typing", "call_id": call_id, "typing": False}]
    await visitor.silent()
    await alice.silent()
    assert await record(call_id) == []


async def test_an_agents_other_tab_chats_through_the_database_and_sees_what_it_sent(call, parties):
    visitor, alice, call_id = call
    tab = await parties("alice")
    await tab.ok("chat.typing", call_id=call_id, typing=True)
    assert await visitor.events(1) == [{"type": "chat.typing", "call_id": call_id, "typing": True}]
    await tab.ok("chat.send", call_id=call_id, text="from my other tab")
    expected = [said(call_id, 1, "agent", "from my other tab", "alice")]
    assert await messages(tab, 1) == expected
    assert await messages(alice, 1) == expected
    assert await messages(visitor, 1) == expected


async def test_another_call_is_not_reached_and_numbers_its_own_messages(call, parties):
    visitor, alice, call_id = call
    other_visitor, bob, other_id = await in_call(parties, agent="bob")
    await visitor.ok("chat.send", call_id=call_id, text="for alice")
    await visitor.ok("chat.typing", call_id=call_id, typing=True)
    assert (await other_visitor.ok("chat.send", call_id=other_id, text="for bob"))["seq"] == 1
    assert (await bob.event("chat.message"))["text"] == "for bob"
    await bob.silent()
    assert (await alice.event("chat.message"))["text"] == "for alice"
    assert (await alice.event("chat.typing"))["typing"] is True
    assert await record(other_id) == [(1, "caller", "for bob")]


# --- refused: the call goes on, nothing is kept ------------------------------------------


async def unchanged(visitor, alice, call_id: str) -> None:
    """No message was kept or sent, the call is still answered, and chat still works."""
    assert await record(call_id) == []
    await alice.silent()
    row = await sync(Call.objects.get)(id=call_id)
    assert row.phase == "answered"
    assert (await visitor.ok("chat.send", call_id=call_id, text="still fine"))["seq"] == 1


async def test_a_message_over_the_length_limit_is_too_large(call, settings):
    visitor, alice, call_id = call
    limit = settings.SUPPORTCALL_CHAT_MAX_CHARS
    await visitor.fails("too_large", "chat.send", call_id=call_id, text="x" * (limit + 1))
    await unchanged(visitor, alice, call_id)
    # The limit itself passes.
    assert (await visitor.ok("chat.send", call_id=call_id, text="é" * limit))["seq"] == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "empty"),
        ({"text": " \n\t "}, "empty"),
        ({"text": 42}, "'text' must be a string"),
        ({"text": ["a"]}, "'text' must be a string"),
        ({"text": None}, "'text' must be a string"),
        ({}, "needs 'text'"),
        ({"text": "a\x00b"}, "control characters"),
        ({"text": "bell\x07"}, "control characters"),
        ({"text": "half \ud800"}, "not valid Unicode"),
        ({"text": "hi", "client_id": 7}, "'client_id' must be a string"),
        ({"text": "hi", "client_id": "c" * 65}, "longer than 64"),
    ],
)
async def test_a_bad_chat_send_is_bad_request(call, fields, message):
    visitor, alice, call_id = call
    reply = await visitor.fails("bad_request", "chat.send", call_id=call_id, **fields)
    assert message in reply["message"], reply
    await unchanged(visitor, alice, call_id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"typing": "yes"}, "'typing' must be true or false"),
        ({"typing": 1}, "'typing' must be true or false"),
        ({"typing": None}, "'typing' must be true or false"),
        ({}, "needs 'typing'"),
    ],
)
async def test_a_bad_chat_typing_is_bad_request(call, fields, message):
    visitor, alice, call_id = call
    reply = await visitor.fails("bad_request", "chat.typing", call_id=call_id, **fields)
    assert message in reply["message"], reply
    await unchanged(visitor, alice, call_id)


@pytest.mark.parametrize("kind", ["chat.send", "chat.typing"])
async def test_a_chat_request_without_a_usable_call_id_is_bad_request(call, kind):
    visitor, alice, call_id = call
    fields = {"text": "hi"} if kind == "chat.send" else {"typing": True}
    await visitor.fails("bad_request", kind, call_id="not-a-uuid", **fields)
    await visitor.fails("bad_request", kind, call_id=12, **fields)
    await visitor.fails("bad_request", kind, **fields)
    await unchanged(visitor, alice, call_id)


async def test_messages_sent_too_fast_are_rate_limited_and_the_call_goes_on(call, settings):
    visitor, alice, call_id = call
    rate = settings.SUPPORTCALL_CHAT_RATE
    for n in range(rate):
        await visitor.ok("chat.send", call_id=call_id, text=f"message {n}")
    reply = await visitor.fails("rate_limited", "chat.send", call_id=call_id, text="one more")
    assert f"at most {rate}" in reply["message"]
    # The limit is the sender's: the other party still chats.
    assert (await alice.ok("chat.send", call_id=call_id, text="slow down"))["seq"] == rate + 1
    assert len(await record(call_id)) == rate + 1
    assert (await sync(Call.objects.get)(id=call_id)).phase == "answered"


async def test_a_call_holds_at_most_its_setting_of_messages(call, settings):
    visitor, alice, call_id = call
    settings.SUPPORTCALL_CHAT_MESSAGES = 3
    await visitor.ok("chat.send", call_id=call_id, text="1")
    await alice.ok("chat.send", call_id=call_id, text="2")
    await visitor.ok("chat.send", call_id=call_id, text="3")
    reply = await alice.fails("rate_limited", "chat.send", call_id=call_id, text="4")
    assert "at most 3 chat messages" in reply["message"]
    assert [seq for seq, _, _ in await record(call_id)] == [1, 2, 3]


async def test_typing_sent_too_fast_is_rate_limited(call, settings):
    visitor, alice, call_id = call
    rate = settings.SUPPORTCALL_CHAT_TYPING_RATE
    for n in range(rate):
        await visitor.ok("chat.typing", call_id=call_id, typing=n % 2 == 0)
    await visitor.fails("rate_limited", "chat.typing", call_id=call_id, typing=True)
    assert len(await alice.events(rate)) == rate
    await alice.silent()
    # Messages are counted apart.
    await unchanged(visitor, alice, call_id)


async def test_someone_who_is_not_a_party_cannot_chat_or_type(call, parties):
    visitor, alice, call_id = call
    stranger = await parties("visitor")
    bob = await parties("bob")
    for who in (stranger, bob):
        await who.fails("not_found", "chat.send", call_id=call_id, text="let me in")
        await who.fails("not_found", "chat.typing", call_id=call_id, typing=True)
    await visitor.fails("not_found", "chat.send", call_id=str(uuid.uuid4()), text="nobody")
    await visitor.silent()
    await unchanged(visitor, alice, call_id)


async def test_nobody_chats_before_the_call_is_answered(parties):
    visitor = await parties("visitor")
    alice = await parties("alice")
    bob = await parties("bob")
    call_id = await ring(visitor, alice, bob)
    for who in (visitor, alice):
        reply = await who.fails("invalid_state", "chat.send", call_id=call_id, text="hello?")
        assert "once the call is answered" in reply["message"]
        await who.fails("invalid_state", "chat.typing", call_id=call_id, typing=True)
    assert await record(call_id) == []
    # Answered by bob: alice, rung for it, is not its agent.
    await answer(visitor, bob, call_id)
    reply = await alice.fails("invalid_state", "chat.send", call_id=call_id, text="me too")
    assert "another agent" in reply["message"]
    assert (await bob.ok("chat.send", call_id=call_id, text="bob here"))["seq"] == 1


async def test_a_caller_waiting_in_a_queue_cannot_chat(parties):
    await sync(lambda: Queue.objects.filter(name="support").update(wait_when_empty=True))()
    visitor = await parties("visitor")  # nobody online: the call waits
    ack = await visitor.ok("call.create", to=addr("support"), media="audio", sdp=OFFER["audio"])
    call_id = ack["call_id"]
    assert await visitor.states(call_id, until="queued") == ["initiated", "queued"]
    reply = await visitor.fails("invalid_state", "chat.send", call_id=call_id, text="hello?")
    assert "once the call is answered" in reply["message"]
    await visitor.fails("invalid_state", "chat.typing", call_id=call_id, typing=True)
    assert await record(call_id) == []


async def test_an_ended_call_takes_no_more_chat(call):
    visitor, alice, call_id = call
    await alice.ok("chat.send", call_id=call_id, text="bye")
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    for who in (visitor, alice):
        reply = await who.fails("invalid_state", "chat.send", call_id=call_id, text="wait")
        assert "has ended" in reply["message"]
        await who.fails("invalid_state", "chat.typing", call_id=call_id, typing=True)
    # What was said stays on the record.
    assert await record(call_id) == [(1, "agent", "bye")]
