"""A fuzzer over every request of docs/protocol.md, hostile text and shapes included.

The request types and their fields come from ``protocol.REQUESTS``, so a new
request is fuzzed without a change here. Frames go through the whole ASGI app
from a visitor and an agent who are strangers to a call in progress beside
them; whatever they send, the server answers with an ack or a contract error
(never ``internal_error``, never a close), logs no error, and the call beside
them goes on as if nothing happened.

Hypothesis runs in a worker thread (its engine is synchronous) and hands each
frame to the test's event loop, where the app runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st

from supportcall.calls import protocol
from supportcall.calls.models import Call
from supportcall.vocabulary import ErrorCode, Media, Presence
from tests.support.calls import in_call, reoffer
from tests.support.sdps import ANSWER, OFFER, hold, unhold
from tests.support.ws import Socket, addr, sync

EXAMPLES = 500
REPLY_TIMEOUT = 10.0

# --- values -----------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        "\ud800",
        "a\udfffb",
        "\x00",
        "nul\x00inside",
        "\x1b[2J",
        "\x7f",
        "\r\n",
        "\u2028",
        "\ufeff",
        "x" * 300,
        "é" * 70_000,  # over the frame limit in bytes, not in characters
        "'; DROP TABLE calls_call; --",
        "<script>alert(1)</script>",
    ]
)
ANY_TEXT = st.one_of(HOSTILE_TEXT, st.text(st.characters(exclude_categories=()), max_size=40))
HUGE_NUMBERS = st.sampled_from([2**63, -(2**63) - 1, 10**300, 1e308, float("inf"), float("nan")])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_NUMBERS, st.floats(allow_nan=False), ANY_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


DEEP = st.sampled_from([50, 400, 800]).map(nested)  # json.dumps itself stops near 1,000

GOOD_CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.9 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}
CANDIDATE_LINES = st.sampled_from(
    [
        GOOD_CANDIDATE["candidate"],
        "candidate:1 1 udp 1 127.0.0.1 9 typ host",
        "candidate:1 1 udp 1 169.254.169.254 80 typ host",
        "candidate:1 1 udp 1 ab12.local 9 typ host",
        "candidate:1 1 udp 1 ff02::1 9 typ host",
        "candidate:1",
        "",
    ]
)
CANDIDATES = st.one_of(
    st.none(),
    st.just(GOOD_CANDIDATE),
    st.fixed_dictionaries(
        {},
        optional={
            "candidate": CANDIDATE_LINES | ANY_TEXT | JSON,
            "sdpMid": st.none() | ANY_TEXT | JSON,
            "sdpMLineIndex": st.none() | st.integers() | HUGE_NUMBERS | JSON,
            "usernameFragment": st.none() | ANY_TEXT,
        },
    ),
    st.dictionaries(ANY_TEXT, JSON, max_size=4),
)
SDPS = st.sampled_from(
    [*OFFER.values(), *ANSWER.values(), hold("audio"), unhold("audio"), "v=0", "garbage"]
)


def good_values(name: str, kind: Any, call_ids: list[str]) -> st.SearchStrategy[Any]:
    """Values a well-meaning client would send for this field of REQUESTS."""
    if name == "call_id":
        # The call beside the fuzzers, and calls they made (the list grows as they do).
        known = st.integers(0, 10**6).map(lambda i: call_ids[-1 - i % min(len(call_ids), 4)])
        return known | known | st.uuids().map(str)
    if name == "sdp":
        return SDPS
    if name == "to":
        names = ("support", "support", "support", "billing", "alice", "bob", "nobody")
        return st.sampled_from([addr(n) for n in names])
    if name == "media":
        return st.sampled_from(list(Media))
    if name == "status":
        return st.sampled_from(list(Presence))
    if name == "candidate":
        return CANDIDATES
    if name == "consult_of":  # call.create's consult (agents): mostly none, else a call
        return st.none() | st.none() | st.none() | good_values("call_id", str, call_ids)
    if name == "check":  # call.create's check before the call (supportcall/precall)
        return st.none() | st.just(
            {"verdict": "good", "connected": True, "candidate_type": "host", "rtt_ms": 12.5}
        )
    if kind is bool:
        return st.booleans()
    return ANY_TEXT


def hostile_values() -> st.SearchStrategy[Any]:
    """Surrogates, NULs, wrong types, huge numbers, deep nesting."""
    return st.one_of(ANY_TEXT, JSON, DEEP)


HOSTILE_CHARS = st.sampled_from(["\ud800", "\udfff", "\x00", "\x1b", "\x7f", "\u2028", "\r", "\n"])


def spoiled(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A good value with a hostile character slipped in: it passes whatever checks the
    rest of it and reaches the handler (and the database) if the edge lets it."""

    def slip(value: Any, bad: str, at: int) -> Any:
        if isinstance(value, str):
            # Counted from the end, before a last line break: an SDP's first lines are
            # what its parser checks most closely.
            at = max(0, len(value) - 2 - at % (len(value) + 1))
            return value[:at] + bad + value[at:]
        if isinstance(value, dict) and value.get("candidate"):
            return {**value, "candidate": slip(value["candidate"], bad, at)}
        return value

    return st.builds(slip, good, HOSTILE_CHARS, st.integers(0, 10**6))


@st.composite
def frames(draw: st.DrawFn, call_ids: list[str]) -> Any:
    """One frame: a request of REQUESTS, plausible but for a few hostile parts, or something
    else entirely."""
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return draw(JSON)  # not even a request
    # Calls made by the fuzzers give the other requests a call to act on.
    kind = draw(st.sampled_from([*sorted(protocol.REQUESTS), *["call.create"] * 4]))
    fields = protocol.REQUESTS[kind].fields
    # Which parts are hostile (often none: the request reaches its handler).
    parts = ["type", "id", *fields]
    hostile = set(draw(st.lists(st.sampled_from(parts), max_size=2))) if shape % 3 else set()
    frame: dict[str, Any] = {"type": draw(hostile_values()) if "type" in hostile else kind}
    good_id = st.integers(0, 10**6).map(str)
    frame["id"] = draw(hostile_values() if "id" in hostile else good_id)
    for name, spec in fields.items():
        if name in hostile and draw(st.booleans()):
            continue  # a field left out
        good = good_values(name, spec.kind, call_ids)
        frame[name] = draw(
            hostile_values() | spoiled(good) | spoiled(good) if name in hostile else good
        )
    if kind == "call.create" and frame.get("media") in list(OFFER):
        offer = st.just(OFFER[frame["media"]])  # mostly the right offer
        frame["sdp"] = draw(spoiled(offer) if "sdp" in hostile else offer | SDPS)
    if draw(st.integers(0, 4)) == 0:
        frame[draw(ANY_TEXT)] = draw(JSON | DEEP)
    return frame


class Raw(str):
    """A frame's text, sent as it is (anything else is sent as JSON)."""


def raw_frames() -> st.SearchStrategy[Raw]:
    """Text no JSON encoder writes: nesting beyond any parser, huge literals, broken JSON."""
    call_end = '{"type": "call.end", "id": "r", "call_id": "' + str(uuid.uuid4()) + '", "x": '
    return st.sampled_from(
        [
            call_end + "[" * 5_000 + "]" * 5_000 + "}",
            '{"a":' * 3_000 + "1" + "}" * 3_000,
            call_end + "9" * 5_000 + "}",
            call_end + "1e999999}",
            '{"type": "call.end", "id": "\\ud800", "call_id": "\\u0000"}',
            '{"type": "ice.candidate", "id": "r", "candidate": {"candidate": "\\udc00"}}',
            '{"type": "call.create", "id": "r", "media": "audio", "sdp": "v=0\\u0000"}',
            "{not json",
            " ",
        ]
    ).map(Raw)


# --- the test ---------------------------------------------------------------


async def reply_to(party: Socket, frame: Any, calls: list[str]) -> dict[str, Any]:
    """Send one frame and return the ack or error it gets; the calls it hears of go to
    ``calls`` (other events are skipped)."""
    text = frame if isinstance(frame, Raw) else json.dumps(frame)
    await party.ws.send_to(text_data=text)
    while True:
        output = await party.ws.receive_output(timeout=REPLY_TIMEOUT)
        assert output["type"] == "websocket.send", (output, text[:300])
        message = json.loads(output["text"])
        if message["type"] in ("ack", "error"):
            return message
        if message["type"] == "call.state" and message.get("previous") is None:
            calls.append(message["call_id"])


async def test_no_frame_breaks_the_server_or_a_call_beside_it(parties, settings, caplog):
    settings.SUPPORTCALL_WS_RATE = 100_000  # the fuzzer sends as fast as it is answered
    settings.SUPPORTCALL_IDLE_TIMEOUT = 600  # the parties beside it send no pings meanwhile
    caplog.set_level(logging.WARNING)
    visitor, alice, call_id = await in_call(parties)
    before = await sync(lambda: Call.objects.values().get(id=call_id))()
    fuzzers = {"visitor": await parties("visitor"), "agent": await parties("bob")}
    loop = asyncio.get_running_loop()
    seen: dict[str, int] = {}
    call_ids = [call_id]

    def send(who: str, frame: Any) -> None:
        party = fuzzers[who]
        reply = asyncio.run_coroutine_threadsafe(reply_to(party, frame, call_ids), loop).result(
            REPLY_TIMEOUT * 2
        )
        code = reply.get("code", "ack")
        assert code != ErrorCode.INTERNAL_ERROR, (reply, frame)
        assert code in {*ErrorCode, "ack"}, reply
        seen[code] = seen.get(code, 0) + 1

    @fuzzing(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(who=st.sampled_from(sorted(fuzzers)), frame=frames(call_ids) | raw_frames())
    def fuzz(who: str, frame: Any) -> None:
        if isinstance(frame, dict) and frame.get("type") == "call.create" and len(frame) % 4:
            who = "visitor"  # mostly: only visitors create calls
        send(who, frame)

    await asyncio.to_thread(fuzz)

    # Every kind of answer came up, so the fuzzer reached past the parser.
    wanted = {"ack", ErrorCode.BAD_REQUEST, ErrorCode.NOT_FOUND, ErrorCode.TOO_LARGE}
    assert wanted <= set(seen), seen
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]

    # The call beside it did not change, and goes on.
    assert await sync(lambda: Call.objects.values().get(id=call_id))() == before
    await visitor.silent()
    # Alice heard only that callers the fuzzer made came to wait in her queue, and left.
    while not await alice.ws.receive_nothing(timeout=0.2):
        assert (await alice.receive())["type"] == "queue.waiting"
    await alice.silent()
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))
    await visitor.event("call.state", call_id=call_id, state="remotely_held")
    await reoffer(alice, visitor, call_id, "unhold", unhold("audio"), unhold("audio"))
    await visitor.event("call.state", call_id=call_id, state="in_call")
    await visitor.ok("call.mute", call_id=call_id)
    await alice.event("call.media", call_id=call_id, muted=True)
    await visitor.ok("ice.candidate", call_id=call_id, candidate=GOOD_CANDIDATE)
    await alice.event("ice.candidate", call_id=call_id, candidate=GOOD_CANDIDATE)
    await alice.ok("call.end", call_id=call_id)
    assert (await visitor.until("call.state", call_id=call_id))["state"] == "ended"
