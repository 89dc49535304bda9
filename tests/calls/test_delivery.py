"""Delivery batches an operation's events per connection without reordering any connection's."""

from __future__ import annotations

from supportcall.calls.change import BATCH, EVENT, ROUTE, Delivery
from supportcall.calls.delivery import batched


def ev(name: str) -> dict:
    return {"type": name}


def received(sends: list[dict], members: dict[str, set[str]], channel: str) -> list[str]:
    """What one connection gets, in order: its channel's messages and its groups'."""
    got = []
    for send in sends:
        reaches = (
            channel in members.get(send["to"], set()) if send["group"] else send["to"] == channel
        )
        body = send["message"]
        if not reaches or body.get("skip") == channel:
            continue
        items = body["items"] if body["type"] == BATCH else [[body["type"], body["event"]]]
        got += [event["type"] for _, event in items]
    return got


def test_each_channel_gets_one_message_with_its_events_in_order():
    outbox = [
        Delivery("v", {"r": 1}, kind=ROUTE),
        Delivery("a", {"r": 2}, kind=ROUTE),
        Delivery("v", ev("call.answer")),
        Delivery("v", ev("call.state")),
        Delivery("a", ev("call.state")),
        Delivery("a", ev("op.result")),
    ]
    sends = batched(outbox)
    assert [(s["to"], s["message"]["type"]) for s in sends] == [("v", BATCH), ("a", BATCH)]
    assert sends[0]["message"]["items"] == [
        [ROUTE, {"r": 1}],
        [EVENT, ev("call.answer")],
        [EVENT, ev("call.state")],
    ]
    assert sends[1]["message"]["items"] == [
        [ROUTE, {"r": 2}],
        [EVENT, ev("call.state")],
        [EVENT, ev("op.result")],
    ]


def test_a_lone_delivery_is_the_plain_message():
    assert batched([Delivery("v", ev("call.state"))]) == [
        {
            "to": "v",
            "group": False,
            "message": {"type": EVENT, "event": ev("call.state"), "skip": ""},
        }
    ]


def test_nothing_moves_across_a_group_send_and_every_member_keeps_the_outbox_order():
    # "a" is in group "g": whatever the batching, "a" sees a1, g1, g2, a2, g3 in that order.
    outbox = [
        Delivery("a", ev("a1")),
        Delivery("v", ev("v1")),
        Delivery("g", ev("g1"), group=True),
        Delivery("g", ev("g2"), group=True),
        Delivery("a", ev("a2")),
        Delivery("v", ev("v2")),
        Delivery("g", ev("g3"), group=True),
        Delivery("g", ev("g4"), group=True, skip="a"),
    ]
    sends = batched(outbox)
    members = {"g": {"a", "b"}}
    assert received(sends, members, "a") == ["a1", "g1", "g2", "a2", "g3"]
    assert received(sends, members, "b") == ["g1", "g2", "g3", "g4"]
    assert received(sends, members, "v") == ["v1", "v2"]
    # Consecutive deliveries to the group went as one message.
    assert [s["to"] for s in sends] == ["a", "v", "g", "a", "v", "g", "g"]


def test_a_delivery_about_no_calls_order_goes_last_and_splits_no_batch():
    outbox = [
        Delivery("v", ev("route")),
        Delivery("targets", ev("targets.changed"), group=True, unordered=True),
        Delivery("v", ev("call.state")),
    ]
    sends = batched(outbox)
    assert [s["to"] for s in sends] == ["v", "targets"]
    assert [event["type"] for _, event in sends[0]["message"]["items"]] == ["route", "call.state"]
