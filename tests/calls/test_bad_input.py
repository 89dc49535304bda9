"""Bad input gets the contract's error code, the connection stays usable, no other call changes."""

import json
import uuid

import pytest

from supportcall.calls.models import Call
from tests.support.calls import in_call, reoffer, ring
from tests.support.sdps import ANSWER, OFFER, hold, sdp, unhold
from tests.support.ws import addr, sync


async def usable(party) -> None:
    """The connection still answers requests."""
    await party.fails("bad_request", "no.such.type")


async def snapshot(call_id) -> dict:
    return await sync(lambda: Call.objects.values().get(id=call_id))()


async def test_malformed_json_gets_bad_request_and_the_connection_stays_usable(parties):
    visitor = await parties("visitor")
    await visitor.send("{not json")
    reply = await visitor.receive()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "bad_request", None)
    await usable(visitor)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ([1, 2, 3], "JSON object"),
        ('"a string"', "JSON object"),
        ({"id": "1"}, "'type' is missing"),
        ({"id": "1", "type": "call.fly"}, "unknown type"),
        ({"id": "1", "type": "auth", "token": "x"}, "already authenticated"),
        ({"id": 7, "type": "call.end"}, "'id' must be a string"),
        ({"id": "x" * 65, "type": "call.end"}, "'id' must be a string"),
        ({"id": "1", "type": "call.create", "media": "audio"}, "needs 'sdp'"),
        ({"id": "1", "type": "call.create", "media": "audio", "sdp": 5}, "'sdp' must be a string"),
        ({"id": "1", "type": "call.create", "media": "hologram", "sdp": "v=0"}, "'media' must be"),
        ({"id": "1", "type": "call.end"}, "needs 'call_id'"),
        ({"id": "1", "type": "call.end", "call_id": "not-a-uuid"}, "not a call id"),
        ({"id": "1", "type": "call.end", "call_id": 12}, "'call_id' must be a string"),
        (
            {
                "id": "1",
                "type": "call.accept",
                "call_id": str(uuid.uuid4()),
                "sdp": "v=0",
                "video": "yes",
            },
            "'video' must be true or false",
        ),
        (
            {
                "id": "1",
                "type": "ice.candidate",
                "call_id": str(uuid.uuid4()),
                "candidate": "candidate:1",
            },
            "'candidate' must be an object",
        ),
        (
            {
                "id": "1",
                "type": "ice.candidate",
                "call_id": str(uuid.uuid4()),
                "candidate": {"candidate": "nonsense"},
            },
            "must start with 'candidate:'",
        ),
        (
            {
                "id": "1",
                "type": "ice.candidate",
                "call_id": str(uuid.uuid4()),
                "candidate": {"candidate": "candidate:1", "sdpMLineIndex": "0"},
            },
            "sdpMLineIndex",
        ),
        ({"id": "1", "type": "presence.set"}, "needs 'status'"),
    ],
)
async def test_a_malformed_request_gets_bad_request(parties, frame, message):
    visitor = await parties("visitor")
    await visitor.send(frame)
    reply = await visitor.receive()
    assert reply["type"] == "error" and reply["code"] == "bad_request", reply
    assert message in reply["message"]
    assert reply["id"] == (
        frame.get("id")
        if isinstance(frame, dict) and isinstance(frame.get("id"), str) and len(frame["id"]) <= 64
        else None
    )
    await usable(visitor)


async def test_a_frame_over_64_kib_gets_too_large_and_the_connection_stays_usable(parties):
    visitor = await parties("visitor")
    await visitor.send(json.dumps({"id": "1", "type": "call.end", "pad": "x" * 70_000}))
    reply = await visitor.receive()
    assert (reply["type"], reply["code"]) == ("error", "too_large")
    await usable(visitor)


async def test_a_binary_frame_gets_bad_request(parties):
    visitor = await parties("visitor")
    await visitor.ws.send_to(bytes_data=b"\x00\x01")
    assert (await visitor.receive())["code"] == "bad_request"
    await usable(visitor)


@pytest.mark.parametrize(
    ("media", "offer", "message"),
    [
        ("audio", "hello", "must start with 'v=0'"),
        ("audio", "v=0\r\nnot a line\r\n", "is not 'x=value'"),
        ("audio", "v=0\r\ns=-\r\n", "no m-line"),
        ("audio", "v=0\r\nm=audio\r\n", "not a valid m-line"),
        # A line break only some parsers see would smuggle an m-line past the rules.
        *[
            (
                "audio_single",
                OFFER["audio_single"].replace("a=mid:0", f"a=x{brk}m=video 9 UDP 0"),
                # Control characters are refused before the SDP is read.
                "control characters" if brk in "\x0b\x0c\x1c" else "must end with CRLF or LF",
            )
            for brk in ["\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
        ],
        ("audio", OFFER["audio_single"], "needs m-lines ['audio', 'video']"),
        ("audio", OFFER["video"], "video m-line 'inactive'"),
        ("video", OFFER["audio"], "video m-line that sends"),
        ("audio_single", OFFER["audio"], "needs m-lines ['audio']"),
        (
            "video",
            sdp(("audio", "sendrecv"), ("video", "sendrecv"), ("video", "sendrecv")),
            "needs m-lines",
        ),
    ],
)
async def test_an_offer_that_does_not_parse_or_match_media_gets_bad_request(
    parties, media, offer, message
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    reply = await visitor.fails(
        "bad_request", "call.create", to=addr("support"), media=media, sdp=offer
    )
    assert message in reply["message"]
    await alice.silent()
    assert not await sync(Call.objects.exists)()


async def test_an_sdp_over_the_limit_gets_too_large(parties):
    visitor = await parties("visitor")
    long_sdp = "v=0\r\na=" + "x" * 60_500  # over the SDP limit, under the frame limit
    await visitor.fails("too_large", "call.create", media="audio", sdp=long_sdp)


async def test_calling_an_address_that_does_not_exist_is_not_found(parties):
    visitor = await parties("visitor")
    await visitor.fails(
        "not_found", "call.create", to=addr("nobody"), media="audio", sdp=OFFER["audio"]
    )
    await visitor.fails(
        "not_found", "call.create", to="alice@elsewhere.example", media="audio", sdp=OFFER["audio"]
    )
    await visitor.fails(
        "not_found", "call.create", to="no-at-sign", media="audio", sdp=OFFER["audio"]
    )


async def test_calling_a_queue_or_agent_of_another_site_is_not_found_like_nobody(parties):
    """Whether an address exists elsewhere on the server is not a visitor's to learn."""
    carol = await parties("carol")
    visitor = await parties("visitor")
    replies = [
        await visitor.fails(
            "not_found", "call.create", to=addr(to), media="audio", sdp=OFFER["audio"]
        )
        for to in ("billing", "carol", "nobody")
    ]
    assert len({r["message"].rsplit(" ", 1)[0] for r in replies}) == 1, replies
    await carol.silent()
    assert not await sync(Call.objects.exists)()


async def test_nobody_can_call_an_anonymous_visitor(parties):
    first = await parties("visitor")
    second = await parties("visitor")
    await second.fails(
        "forbidden", "call.create", to=first.identity, media="audio", sdp=OFFER["audio"]
    )
    await first.silent()


async def test_an_agent_calls_agents_but_never_a_queue(parties):
    alice = await parties("alice")
    await alice.fails(
        "forbidden", "call.create", to=addr("support"), media="audio", sdp=OFFER["audio"]
    )


@pytest.mark.parametrize("op", ["accept", "reject", "ignore", "forward"])
async def test_a_visitor_cannot_do_an_agents_operation(parties, op):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    fields = (
        {"sdp": ANSWER["audio"]}
        if op == "accept"
        else {"to": addr("bob")}
        if op == "forward"
        else {}
    )
    await visitor.fails("forbidden", f"call.{op}", call_id=call_id, **fields)
    await alice.silent()


async def test_an_agent_cannot_set_presence_for_a_visitor(parties):
    visitor = await parties("visitor")
    await visitor.fails("forbidden", "presence.set", status="away")


async def test_an_unknown_presence_is_a_bad_request(parties):
    alice = await parties("alice")
    await alice.fails("bad_request", "presence.set", status="asleep")


async def test_an_unknown_call_is_not_found(parties):
    visitor = await parties("visitor")
    await visitor.fails("not_found", "call.end", call_id=str(uuid.uuid4()))


async def test_someone_elses_call_is_not_found_and_left_alone(parties):
    visitor, alice, call_id = await in_call(parties)
    before = await snapshot(call_id)
    stranger = await parties("visitor")
    bob = await parties("bob")
    for party in (stranger, bob):
        await party.fails("not_found", "call.end", call_id=call_id)
        await party.fails("not_found", "call.hold", call_id=call_id, sdp=hold("audio"))
        await party.fails("not_found", "ice.candidate", call_id=call_id, candidate=None)
        await party.fails("not_found", "call.answer", call_id=call_id, sdp=hold("audio"))
    await visitor.silent()
    await alice.silent()
    assert await snapshot(call_id) == before


async def test_an_operation_in_the_wrong_state_is_invalid_state(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.fails("invalid_state", "call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.fails("invalid_state", "call.mute", call_id=call_id)
    await visitor.fails("invalid_state", "call.answer", call_id=call_id, sdp=hold("audio"))
    await alice.fails("invalid_state", "call.unhold", call_id=call_id, sdp=unhold("audio"))
    await visitor.ok("call.end", call_id=call_id)
    await visitor.fails("invalid_state", "call.end", call_id=call_id)
    await alice.fails("invalid_state", "call.accept", call_id=call_id, sdp=ANSWER["audio"])


async def test_a_re_offer_that_changes_the_m_lines_gets_bad_request(parties):
    visitor, alice, call_id = await in_call(parties)
    reply = await alice.fails("bad_request", "call.hold", call_id=call_id, sdp=hold("audio_single"))
    assert "keep the call's m-lines" in reply["message"]
    await visitor.silent()


async def test_a_hold_re_offer_that_still_sends_gets_bad_request(parties):
    visitor, alice, call_id = await in_call(parties)
    reply = await alice.fails("bad_request", "call.hold", call_id=call_id, sdp=OFFER["audio"])
    assert "inactive" in reply["message"]
    await visitor.silent()
    await reoffer(alice, visitor, call_id, "hold", hold("audio"), hold("audio"))


async def test_an_answer_that_does_not_match_the_offer_gets_bad_request(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.fails("bad_request", "call.accept", call_id=call_id, sdp=ANSWER["audio_single"])
    await alice.fails("bad_request", "call.accept", call_id=call_id, sdp="garbage")
    await visitor.silent()
    await alice.ok("call.accept", call_id=call_id, sdp=ANSWER["audio"])


async def test_the_initiator_cannot_answer_its_own_re_offer(parties):
    _visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await alice.fails("invalid_state", "call.answer", call_id=call_id, sdp=hold("audio"))


async def test_a_bad_request_on_one_call_does_not_touch_another(parties):
    visitor, alice, call_id = await in_call(parties)
    before = await snapshot(call_id)
    bob = await parties("bob")
    other = await parties("visitor")
    other_id = await ring(other, bob)
    await bob.fails("bad_request", "call.accept", call_id=other_id, sdp="garbage")
    await other.fails("invalid_state", "call.hold", call_id=other_id, sdp=hold("audio"))
    await other.send("{oops")
    await other.receive()
    assert await snapshot(call_id) == before
    await visitor.silent()
    await alice.silent()


async def test_too_many_early_candidates_get_too_large(parties, settings):
    settings.SUPPORTCALL_WS_RATE = 1000
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    candidate = {
        "candidate": "candidate:1 1 udp 1 192.0.2.9 9 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    for _ in range(50):
        await visitor.ok("ice.candidate", call_id=call_id, candidate=candidate)
    await visitor.fails("too_large", "ice.candidate", call_id=call_id, candidate=candidate)


async def test_a_flood_of_frames_gets_rate_limited_and_the_connection_recovers(parties, settings):
    import asyncio

    settings.SUPPORTCALL_WS_RATE = 5
    visitor = await parties("visitor")
    for i in range(12):
        await visitor.send({"type": "presence.set", "id": str(i), "status": "away"})
    codes = [(await visitor.receive())["code"] for _ in range(12)]
    # However the one-second windows fall, a burst of 12 at 5 a second is cut.
    assert codes[0] == "forbidden" and "rate_limited" in codes
    assert set(codes) == {"forbidden", "rate_limited"}
    await asyncio.sleep(1.05)
    await usable(visitor)


# --- text the database cannot store, candidates that carry more than a candidate ---

GOOD_CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.9 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\x00", "\x1b[2J"])
@pytest.mark.parametrize("field", ["sdp", "to"])
async def test_text_that_is_not_unicode_or_has_control_characters_is_refused_at_the_edge(
    parties, bad, field
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    fields = {"to": addr("support"), "media": "audio", "sdp": OFFER["audio"]}
    fields[field] = (
        OFFER["audio"].replace("a=mid:0", f"a=mid:0{bad}")
        if field == "sdp"
        else fields[field] + bad
    )
    reply = await visitor.fails("bad_request", "call.create", **fields)
    assert f"'{field}'" in reply["message"]
    await alice.silent()
    assert not await sync(Call.objects.exists)()
    await usable(visitor)


async def test_an_agents_forward_target_that_is_not_text_is_refused(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.fails("bad_request", "call.forward", call_id=call_id, to="bob\ud800@x")
    await alice.fails("bad_request", "call.forward", call_id=call_id, to="bob\x00")
    await alice.fails("bad_request", "call.forward", call_id=call_id, to="b" * 300)
    await visitor.silent()


async def test_a_request_id_that_is_not_text_is_refused_without_echoing_it(parties):
    visitor = await parties("visitor")
    await visitor.send({"type": "call.end", "id": "\ud800", "call_id": str(uuid.uuid4())})
    reply = await visitor.receive()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "bad_request", None)
    await usable(visitor)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pad": "x" * 50_000}, "takes only"),
        ({"relatedAddress": "10.0.0.1"}, "takes only"),
        ({"sdpMid": "m" * 65}, "'candidate.sdpMid' is longer"),
        ({"sdpMid": "0\ud800"}, "not valid Unicode"),
        ({"usernameFragment": "u" * 257}, "'candidate.usernameFragment' is longer"),
        ({"usernameFragment": 5}, "must be a string"),
        ({"sdpMLineIndex": 10**30}, "sdpMLineIndex"),
        ({"sdpMLineIndex": -1}, "sdpMLineIndex"),
        ({"sdpMLineIndex": True}, "sdpMLineIndex"),
        ({"sdpMLineIndex": 0.5}, "sdpMLineIndex"),
        ({"candidate": "candidate:1 1 udp 1 192.0.2.9 9 typ host\x00"}, "control characters"),
        ({"candidate": "candidate:1 1 udp 1 192.0.2.9 9 typ host\r\na=x"}, "control characters"),
        ({"candidate": "candidate:1 1 udp"}, "must read"),
        ({"candidate": "candidate:1 1 udp 1 192.0.2.9 port typ host"}, "must read"),
    ],
)
async def test_an_early_candidate_takes_only_the_known_fields_with_their_sizes(
    parties, settings, extra, message
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    reply = await visitor.fails(
        "bad_request", "ice.candidate", call_id=call_id, candidate={**GOOD_CANDIDATE, **extra}
    )
    assert message in reply["message"]
    await alice.silent()
    assert await sync(lambda: Call.objects.get(id=call_id).caller_candidates)() == []


@pytest.mark.parametrize(
    "where",
    [
        "127.0.0.1",
        "127.3.2.1",
        "::1",
        "::ffff:127.0.0.1",
        "169.254.169.254",  # the cloud metadata service
        "169.254.10.20",
        "fe80::1",
        "fd00:ec2::254",  # AWS's metadata service over IPv6
        "224.0.0.251",
        "239.255.255.250",
        "ff02::1",
        "0.0.0.0",
        "0.1.2.3",
        "::",
        "255.255.255.255",
        "metadata.google.internal",
    ],
)
async def test_a_candidate_pointing_at_a_local_or_meaningless_address_is_refused(parties, where):
    visitor, alice, call_id = await in_call(parties)
    line = f"candidate:1 1 udp 2122260223 {where} 50000 typ host"
    await visitor.fails(
        "bad_request",
        "ice.candidate",
        call_id=call_id,
        candidate={**GOOD_CANDIDATE, "candidate": line},
    )
    await alice.silent()


@pytest.mark.parametrize(
    "line",
    [
        "candidate:1 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54400 typ host",
        "candidate:2 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0",
        "candidate:3 1 tcp 1518280447 192.0.2.9 9 typ host tcptype active",
        "candidate:4 1 udp 2122262783 2001:db8::7 50001 typ host generation 0 ufrag abcd",
        "candidate:5 1 udp 2122262783 fd00::2 50001 typ host",
        "a=candidate:6 1 udp 41885439 198.51.100.3 3478 typ relay raddr 203.0.113.7 rport 61000",
        "",
    ],
)
async def test_candidates_browsers_and_aiortc_gather_are_relayed(parties, line):
    visitor, alice, call_id = await in_call(parties)
    candidate = {**GOOD_CANDIDATE, "candidate": line, "usernameFragment": "abcd"}
    await visitor.ok("ice.candidate", call_id=call_id, candidate=candidate)
    await alice.event("ice.candidate", candidate=candidate)


def with_candidate(offer: str, where: str) -> str:
    return offer.replace(
        "a=mid:0\r\n", f"a=mid:0\r\na=candidate:1 1 udp 2130706431 {where} 50000 typ host\r\n"
    )


@pytest.mark.parametrize("where", ["127.0.0.1", "169.254.169.254", "fe80::1", "224.0.0.1", "::"])
async def test_an_offer_or_answer_with_a_candidate_at_a_local_address_gets_bad_request(
    parties, where
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    await visitor.fails(
        "bad_request", "call.create", media="audio", sdp=with_candidate(OFFER["audio"], where)
    )
    await alice.silent()
    call_id = await ring(visitor, alice)
    await alice.fails(
        "bad_request", "call.accept", call_id=call_id, sdp=with_candidate(ANSWER["audio"], where)
    )
    await visitor.silent()


@pytest.mark.parametrize(
    "where", ["192.0.2.2", "fd00::2", "0d5f4c1e-0b63-4a51-9f3c-3c7d1f0e1a2b.local"]
)
async def test_an_offer_with_the_candidates_aiortc_and_browsers_gather_is_relayed(parties, where):
    alice = await parties("alice")
    visitor = await parties("visitor")
    offer = with_candidate(OFFER["audio"], where)
    await visitor.ok("call.create", to=addr("support"), media="audio", sdp=offer)
    assert (await alice.event("call.incoming"))["sdp"] == offer
