"""call.quality: reports during a call, their MOS and warnings, and every report refused.

Both parties hear ``call.quality`` when the reporter's level or warnings change
(the reporter as ``local``, the other as ``remote``), never for a report that
changes nothing; a bad report is refused and the call goes on.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from supportcall.quality.models import Sample
from tests.support.calls import in_call, ring
from tests.support.ws import resume

CLEAN = {"rtt_ms": 20, "jitter_ms": 2, "loss_pct": 0, "codec": "opus", "candidate_type": "host"}
LOSSY = {**CLEAN, "loss_pct": 12}


@pytest.fixture
def fast_reports(settings):
    settings.SUPPORTCALL_QUALITY_MIN_INTERVAL = 0.001


@sync_to_async
def samples(call_id, party=None):
    rows = Sample.objects.filter(call_id=call_id).order_by("at")
    if party:
        rows = rows.filter(party=party)
    return [(s.party, s.loss_pct, s.mos, s.warnings, s.candidate) for s in rows]


def quality(call_id, side, level, warnings, candidate="host"):
    return {"type": "call.quality", "call_id": call_id, "side": side, "level": level}, {
        "warnings": warnings,
        "candidate_type": candidate,
    }


def matches(event, expected):
    head, tail = expected
    assert {k: event[k] for k in head} == head, event
    assert {k: event[k] for k in tail} == tail, event
    assert 1.0 <= event["mos"] <= 4.5


async def test_hello_says_how_often_to_report(parties):
    visitor = await parties("visitor")
    assert visitor.hello["quality_interval"] == 5.0


async def test_reports_are_kept_scored_and_told_to_both_parties_when_they_change(
    parties, fast_reports
):
    visitor, alice, call_id = await in_call(parties)
    first = await visitor.ok("call.quality", call_id=call_id, **CLEAN)
    assert first["mos"] > 4.3 and first["warnings"] == []
    matches(await visitor.event("call.quality"), quality(call_id, "local", "good", []))
    matches(await alice.event("call.quality"), quality(call_id, "remote", "good", []))

    await visitor.ok("call.quality", call_id=call_id, **CLEAN)  # nothing changed: no event
    await visitor.silent()
    await alice.silent()

    for _ in range(3):  # sustained loss: the third lossy report of five warns
        reply = await visitor.ok("call.quality", call_id=call_id, **LOSSY)
    assert reply["warnings"] == ["packet_loss", "low_mos"]
    told = [e for e in await visitor.events(1)] + await alice.events(1)
    # The first lossy report already lowered the level: poor, then poor with the warning.
    assert [(e["side"], e["level"], e["warnings"]) for e in told] == [
        ("local", "poor", ["low_mos"]),
        ("remote", "poor", ["low_mos"]),
    ]
    rest = [await visitor.receive(), await alice.receive()]
    assert [(e["side"], e["warnings"]) for e in rest] == [
        ("local", ["packet_loss", "low_mos"]),
        ("remote", ["packet_loss", "low_mos"]),
    ]
    history = await samples(call_id)
    assert [(p, loss, w) for p, loss, _, w, _ in history] == [
        ("caller", 0, []),
        ("caller", 0, []),
        ("caller", 12, ["low_mos"]),
        ("caller", 12, ["low_mos"]),
        ("caller", 12, ["packet_loss", "low_mos"]),
    ]


async def test_the_agent_reports_its_own_side(parties, fast_reports):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.quality", call_id=call_id, **{**CLEAN, "candidate_type": "relay"})
    matches(await alice.event("call.quality"), quality(call_id, "local", "good", [], "relay"))
    matches(await visitor.event("call.quality"), quality(call_id, "remote", "good", [], "relay"))
    assert await samples(call_id) == [("agent", 0, (await samples(call_id))[0][2], [], "relay")]


async def test_a_party_keeps_its_newest_reports_only(parties, fast_reports, settings):
    settings.SUPPORTCALL_QUALITY_SAMPLES = 3
    visitor, _, call_id = await in_call(parties)
    for loss in (0, 0.1, 0.2, 0.3, 0.4):
        await visitor.ok("call.quality", call_id=call_id, **{**CLEAN, "loss_pct": loss})
    assert [loss for _, loss, *_ in await samples(call_id)] == [0.2, 0.3, 0.4]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"loss_pct": -1}, "'loss_pct' must be a number from 0 to 100"),
        ({"loss_pct": 101}, "'loss_pct' must be a number from 0 to 100"),
        ({"rtt_ms": 1e9}, "'rtt_ms' must be a number from 0 to 60000"),
        ({"jitter_ms": "2"}, "'jitter_ms' must be a number"),
        ({"bitrate_in_kbps": True}, "'bitrate_in_kbps' must be a number"),
        ({"candidate_type": "moon"}, "'candidate_type' must be one of host, srflx, prflx, relay"),
        ({"codec": "<b>opus</b>"}, "'codec' must be a codec's name, such as opus"),
        ({"codec": "o" * 40}, "'codec' is longer than 32 characters"),
    ],
)
async def test_a_report_that_lies_is_refused_and_the_call_goes_on(parties, fields, message):
    visitor, alice, call_id = await in_call(parties)
    reply = await visitor.fails("bad_request", "call.quality", call_id=call_id, **fields)
    assert message in reply["message"]
    assert await samples(call_id) == []
    await visitor.ok("call.mute", call_id=call_id)  # the call is untouched
    await alice.until("call.media", muted=True)


async def test_a_number_that_is_not_finite_is_refused(parties):
    visitor, _, call_id = await in_call(parties)
    rid = "nan"
    await visitor.send(
        json.dumps({"type": "call.quality", "id": rid, "call_id": call_id})[:-1]
        + ', "loss_pct": NaN}'
    )
    reply = await visitor.expect_reply(rid)
    assert (reply["type"], reply["code"]) == ("error", "bad_request"), reply
    assert await samples(call_id) == []


async def test_reports_faster_than_the_minimum_interval_are_refused(parties):
    visitor, _, call_id = await in_call(parties)
    await visitor.ok("call.quality", call_id=call_id, **CLEAN)
    reply = await visitor.fails("rate_limited", "call.quality", call_id=call_id, **CLEAN)
    assert reply["message"] == "at most one quality report every 1 s"
    assert len(await samples(call_id)) == 1


async def test_only_an_answered_call_takes_reports(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    reply = await visitor.fails("invalid_state", "call.quality", call_id=call_id, **CLEAN)
    assert reply["message"] == "quality is reported only while the call is answered"
    await alice.fails("invalid_state", "call.quality", call_id=call_id, **CLEAN)


async def test_someone_else_cannot_report_on_a_call(parties):
    _, _, call_id = await in_call(parties)
    stranger = await parties("visitor")
    await stranger.fails("not_found", "call.quality", call_id=call_id, **CLEAN)
    bob = await parties("bob")
    await bob.fails("not_found", "call.quality", call_id=call_id, **CLEAN)
    assert await samples(call_id) == []


async def test_an_ended_call_takes_no_report(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.ok("call.end", call_id=call_id)
    await alice.fails("invalid_state", "call.quality", call_id=call_id, **CLEAN)


async def test_a_resumed_party_sees_each_sides_quality_as_last_judged(parties, fast_reports):
    visitor, alice, call_id = await in_call(parties)
    for _ in range(3):
        await visitor.ok("call.quality", call_id=call_id, **LOSSY)
    await alice.ok("call.quality", call_id=call_id, **{**CLEAN, "candidate_type": "relay"})
    await visitor.close()
    await alice.until("call.media", connection="reconnecting")

    back = await resume(visitor)
    frames = await back.events(4)
    assert [f["type"] for f in frames] == [
        "call.state",
        "call.media",
        "call.quality",
        "call.quality",
    ]
    matches(frames[2], quality(call_id, "local", "poor", ["packet_loss", "low_mos"]))
    matches(frames[3], quality(call_id, "remote", "good", [], "relay"))
    await back.silent()
    await back.close()


async def test_a_resume_before_any_report_replays_no_quality(parties):
    visitor, _, _ = await in_call(parties)
    await visitor.close()
    back = await resume(visitor)
    assert [f["type"] for f in await back.events(2)] == ["call.state", "call.media"]
    await back.silent()
    await back.close()
