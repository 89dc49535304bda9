"""The Python client reports its call's quality from aiortc's statistics (issue 12)."""

from __future__ import annotations

import asyncio

from supportcall.client import Options
from supportcall.client.quality import QualityMeter


async def test_both_parties_report_and_hear_each_others_quality(clients, server):
    call, incoming = await clients.answered_call(Options(server.url, quality_interval=1.0))
    await call.wait_for_media("audio", timeout=10)

    for party in (call, incoming):
        await party.wait_for(lambda p=party: set(p.quality) == {"local", "remote"}, 10, "quality")
        for side in ("local", "remote"):
            event = party.quality[side]
            assert (event["type"], event["call_id"], event["level"]) == (
                "call.quality",
                call.call_id,
                "good",
            ), event
            assert event["mos"] > 4.0 and event["warnings"] == []
            assert event["candidate_type"] == "host"


async def test_a_report_measures_the_audio_received_since_the_last(clients, server):
    call, _ = await clients.answered_call()
    await call.wait_for_media("audio", timeout=10)
    meter = QualityMeter()
    media = call.media_peer
    assert media is not None
    first = await meter.report(media.pc, media.inbound_bytes()["audio"], "host")
    assert first["codec"] == "opus" and first["candidate_type"] == "host"
    assert "loss_pct" not in first  # nothing to compare with yet
    await asyncio.sleep(1.0)  # a second of audio, as between two reports
    second = await meter.report(media.pc, media.inbound_bytes()["audio"], "host")
    assert 0 <= second["loss_pct"] <= 1  # loopback loses nothing to speak of
    assert 5 < second["bitrate_in_kbps"] < 200 and 5 < second["bitrate_out_kbps"] < 200
    assert 0 <= second.get("jitter_ms", 0) < 30


def reporters() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if "_report_quality" in repr(t.get_coro())]


async def test_a_calls_reporter_goes_when_the_call_ends_not_after_its_next_sleep(clients, server):
    # A bot ends calls back to back: reporters sleeping out a long interval after their
    # call ended would pile up (and hold memory) with the rate of calls.
    call, incoming = await clients.answered_call(Options(server.url, quality_interval=60.0))
    await call.wait_for_media("audio", timeout=10)
    await call.wait_for(lambda: len(reporters()) == 2, 10, "both parties' reporters")

    await call.end()
    await incoming.wait_for_state("ended", timeout=10)
    for _ in range(50):  # well under the interval
        if not reporters():
            break
        await asyncio.sleep(0.1)
    assert reporters() == []
