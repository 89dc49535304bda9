"""The Python client's chat against the real server: both ways, in order, across a resume."""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client import CallError, ChatMessage, ConnectionState
from supportcall.vocabulary import ErrorCode, State


def texts(call) -> list[tuple[int, str, str]]:
    return [(m.seq, m.sender, m.text) for m in call.chat]


async def test_chat_goes_both_ways_in_one_order_and_is_told_to_listeners(clients):
    call, incoming = await clients.answered_call()
    heard: list[ChatMessage] = []
    incoming.on("chat", heard.append)

    ack = await call.send_chat("Order 1042: https://shop.example.com/o/1042")
    assert ack["seq"] == 1 and ack["call_id"] == call.call_id
    await incoming.send_chat("<b>got it</b>")
    await call.send_chat("thanks")

    expected = [
        (1, "caller", "Order 1042: https://shop.example.com/o/1042"),
        (2, "agent", "<b>got it</b>"),
        (3, "caller", "thanks"),
    ]
    await call.wait_for(lambda: len(call.chat) == 3)
    await incoming.wait_for(lambda: len(incoming.chat) == 3)
    assert texts(call) == texts(incoming) == expected
    assert [m.seq for m in heard] == [1, 2, 3]
    assert call.chat[0].display_name == "Ada"


async def test_typing_is_seen_by_the_other_party(clients):
    call, incoming = await clients.answered_call()
    await call.set_typing(True)
    await incoming.wait_for(lambda: incoming.remote_typing)
    await call.set_typing(False)
    await incoming.wait_for(lambda: not incoming.remote_typing)
    assert call.remote_typing is False


async def test_the_chat_carries_on_across_a_resume_in_order_and_once_each(clients):
    call, incoming = await clients.answered_call()
    visitor = call.client
    heard: list[int] = []
    call.on("chat", lambda message: heard.append(message.seq))
    await call.send_chat("before the drop")
    await incoming.send_chat("I see it")
    await call.wait_for(lambda: len(call.chat) == 2)

    visitor.signaling.abort()  # no close frame: the network dropped
    agent_record = clients.record(incoming.client)
    await agent_record.until(lambda: "reconnecting" in agent_record.remote_connection(incoming), 10)
    # Said while the visitor is away: its event goes to the dead connection.
    await incoming.send_chat("are you still there?")
    # Sent while reconnecting: it goes out once the connection is back.
    sending = asyncio.ensure_future(call.send_chat("back again"))

    await visitor.wait_for(lambda: visitor.connection_state == ConnectionState.CONNECTED, 15)
    ack = await sending
    assert ack["seq"] == 4
    expected = [
        (1, "caller", "before the drop"),
        (2, "agent", "I see it"),
        (3, "agent", "are you still there?"),
        (4, "caller", "back again"),
    ]
    await call.wait_for(lambda: len(call.chat) == 4, 10)
    await incoming.wait_for(lambda: len(incoming.chat) == 4, 10)
    assert texts(call) == texts(incoming) == expected
    # The replay brought messages 1 and 2 again: each was told once.
    assert heard == [1, 2, 3, 4]


async def test_a_refused_message_raises_the_servers_code_and_the_call_goes_on(clients):
    call, _incoming = await clients.answered_call()
    with pytest.raises(CallError) as refused:
        await call.send_chat("   ")
    assert refused.value.code == ErrorCode.BAD_REQUEST
    with pytest.raises(CallError) as refused:
        await call.send_chat("x" * 2001)
    assert refused.value.code == ErrorCode.TOO_LARGE
    assert (await call.send_chat("fine"))["seq"] == 1
    assert call.state == State.IN_CALL
