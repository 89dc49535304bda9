"""Call quality in both browsers (issue 12, docs/protocol.md "Call quality").

The widget and the dashboard sample getStats while a call is answered and report
it (call.quality) every hello.quality_interval; both show the call's quality, and
when a connection is the trouble they say whose, in plain words. A bad connection
is played by replacing one side's measurement (call.sampler.measure) in its page.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import (
    CALL,
    WAIT_MS,
    click_when_ready,
    expect_state,
    host_page,
    in_progress,
    incoming,
    start_call,
    tid,
    wait_true,
    web_server,
)
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

INTERVAL = 1.0  # seconds between reports (hello.quality_interval)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    yield from web_server(
        tmp_path_factory,
        SUPPORTCALL_QUALITY_INTERVAL=str(INTERVAL),
        SUPPORTCALL_QUALITY_MIN_INTERVAL="0.5",
    )


def samples(web, call) -> list[dict]:
    """The call's quality.Sample rows, oldest first: who measured it, its loss and MOS."""
    out = django_shell(
        web.env,
        "import json; from supportcall.quality.models import Sample; print(json.dumps(["
        "{'party': s.party, 'loss_pct': s.loss_pct, 'rtt_ms': s.rtt_ms, 'codec': s.codec,"
        " 'candidate': s.candidate, 'bitrate_in_kbps': s.bitrate_in_kbps, 'mos': s.mos}"
        f" for s in Sample.objects.filter(call_id='{call.call_id}').order_by('at')]))",
    )
    return json.loads(out.strip().splitlines()[-1])


async def wait_for_samples(web, call, parties: set[str], *, more_than: int = 0, within: float):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = samples(web, call)
        if parties <= {r["party"] for r in rows[more_than:]}:
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no reports of {parties} within {within} s: {rows}")
        await asyncio.sleep(0.3)


async def answered(web, chromium, dashboards, name):
    agent = await dashboards("alice")
    visitor = await host_page(web, chromium, name)
    await start_call(visitor, "audio")
    await wait_true(visitor, f"{CALL} && {CALL}.id", timeout=WAIT_MS)
    call = SimpleNamespace(call_id=await visitor.evaluate(f"{CALL}.id"))
    await incoming(agent, call).get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    await expect(in_progress(agent, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    return agent, visitor, call


def agent_call(call) -> str:
    return f"window.recorded.calls.get('{call.call_id}')"


# What a connection that loses a fifth of its audio measures.
LOSSY = "async () => ({ loss_pct: 20, rtt_ms: 40, jitter_ms: 2, codec: 'opus' })"


async def test_both_sides_report_see_good_quality_and_are_told_whose_connection_loses_audio(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "quality.html")
    panel = in_progress(agent, call)

    # Both browsers report within about three intervals, measured from getStats.
    rows = await wait_for_samples(web, call, {"caller", "agent"}, within=3 * INTERVAL + 2)
    first = {r["party"]: r for r in rows}
    for party in ("caller", "agent"):
        assert first[party]["codec"] == "opus"
        assert first[party]["candidate"] == "host"
        assert 0 <= first[party]["loss_pct"] <= 100
        assert first[party]["mos"] >= 4
    # From the second report on, the bitrates over the interval are there too.
    rows = await wait_for_samples(web, call, {"caller", "agent"}, more_than=len(rows), within=4)
    assert all(r["bitrate_in_kbps"] > 0 for r in rows[-2:] if r["party"] == "caller")

    bars, agent_bars = tid(visitor, "quality"), panel.get_by_test_id("quality")
    await expect(bars).to_have_attribute("aria-label", "Call quality: good", timeout=WAIT_MS)
    await expect(agent_bars).to_have_attribute("aria-label", "Call quality: good", timeout=WAIT_MS)
    await expect(tid(visitor, "quality-note")).to_be_hidden()
    await expect(panel.get_by_test_id("quality-remote")).to_have_count(0)

    # The visitor's connection loses audio: the visitor is told so, the agent whose it is.
    await visitor.evaluate(f"{CALL}.sampler.measure = {LOSSY}")
    note = tid(visitor, "quality-note")
    await expect(note).to_have_text("Your connection is losing audio.", timeout=WAIT_MS)
    await expect(bars).to_have_attribute("aria-label", "Call quality: poor")
    caller_side = panel.get_by_test_id("quality-remote")
    await expect(caller_side).to_have_text(
        "The caller's connection is losing audio", timeout=WAIT_MS
    )
    await expect(agent_bars).to_have_attribute("aria-label", "Call quality: poor")
    await assert_accessible(visitor, "the widget telling its connection loses audio")
    await assert_accessible(agent, "the dashboard telling the caller's connection loses audio")
    await expect(panel.get_by_test_id("quality-local")).to_have_count(0)
    assert "low_mos" in await visitor.evaluate(f"{CALL}.quality.local.warnings")
    assert await agent.evaluate(f"{agent_call(call)}.quality.remote.level") == "poor"

    # It recovers: once the loss is no longer sustained (3 of the last 5), the words go.
    await visitor.evaluate(f"delete {CALL}.sampler.measure")
    await expect(note).to_be_hidden(timeout=WAIT_MS)
    await expect(caller_side).to_have_count(0, timeout=WAIT_MS)
    await expect(bars).to_have_attribute("aria-label", "Call quality: good")

    # Now the agent's connection: the agent reads it is its own, the visitor a softer line.
    await agent.evaluate(f"{agent_call(call)}.sampler.measure = {LOSSY}")
    await expect(panel.get_by_test_id("quality-local")).to_have_text(
        "Your connection is losing audio", timeout=WAIT_MS
    )
    await expect(note).to_have_text("The agent's connection is weak.", timeout=WAIT_MS)
    assert {r["party"] for r in samples(web, call) if r["loss_pct"] == 20} == {"caller", "agent"}

    # Hung up: the reports stop on both sides, and the indicators go.
    await click_when_ready(visitor, "hangup")
    await expect_state(visitor, "ended")
    await expect(panel).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(bars).to_be_hidden()
    await expect(agent_bars).to_be_hidden()
    count = len(samples(web, call))
    await asyncio.sleep(2.5 * INTERVAL)
    assert len(samples(web, call)) == count
    assert await visitor.evaluate(f"{CALL}.sampler.running") is False
    assert await agent.evaluate(f"{agent_call(call)}.sampler.running") is False


async def test_a_refused_report_leaves_the_call_as_it_was(web, chromium, dashboards):
    agent, visitor, call = await answered(web, chromium, dashboards, "quality-refused.html")
    await wait_for_samples(web, call, {"caller"}, within=3 * INTERVAL + 2)
    # A report out of the contract's range is refused bad_request, and nothing is kept.
    await visitor.evaluate(f"{CALL}.sampler.measure = async () => ({{ loss_pct: 101 }})")
    await asyncio.sleep(3 * INTERVAL)
    assert 101 not in [r["loss_pct"] for r in samples(web, call)]
    assert any("quality report not taken: bad_request" in line for line in visitor.logs)
    await expect_state(visitor, "in_call", "In call")
    await expect(in_progress(agent, call, "in_call")).to_be_visible()
    # And the reports go on once the measurement is right again.
    await visitor.evaluate(f"delete {CALL}.sampler.measure")
    before = len(samples(web, call))
    await wait_for_samples(web, call, {"caller"}, more_than=before, within=3 * INTERVAL + 2)


STATS = """async () => {
  const { readStats, report } = await import("/static/supportcall/quality.js");
  const stat = (id, fields) => [id, { id, timestamp: 0, ...fields }];
  const stats = (at, lost, received, bytesIn, bytesOut) => new Map([
    stat("in", { type: "inbound-rtp", kind: "audio", timestamp: at, packetsLost: lost,
                 packetsReceived: received, bytesReceived: bytesIn, jitter: 0.0031, codecId: "c" }),
    stat("out", { type: "outbound-rtp", kind: "audio", bytesSent: bytesOut }),
    stat("vout", { type: "outbound-rtp", kind: "video", bytesSent: 10 * bytesOut }),
    stat("c", { type: "codec", mimeType: "audio/opus" }),
    stat("rr", { type: "remote-inbound-rtp", kind: "audio", roundTripTime: 0.048 }),
    stat("t", { type: "transport", selectedCandidatePairId: "p" }),
    stat("p", { type: "candidate-pair", localCandidateId: "l", currentRoundTripTime: 0.5 }),
    stat("l", { type: "local-candidate", candidateType: "relay" }),
  ]);
  const first = readStats(stats(1000, 1, 99, 4000, 4000));
  const second = readStats(stats(6000, 3, 197, 24000, 24000));
  const noPath = readStats(new Map([stat("in", { type: "inbound-rtp", kind: "audio",
    packetsLost: 0, packetsReceived: 0, jitter: NaN, codecId: "x" })]));
  const pairOnly = readStats(new Map([
    stat("p", { type: "candidate-pair", nominated: true, state: "succeeded",
                localCandidateId: "l", currentRoundTripTime: 120 }),
    stat("l", { type: "local-candidate", candidateType: "carrier-pigeon" }),
  ]));
  return {
    first: report(first, null),
    second: report(second, first),
    noPath: report(noPath, null),
    pairOnly: report(pairOnly, null),
  };
}"""


async def test_a_report_is_what_get_stats_measured_in_the_contracts_units_and_ranges(dashboards):
    page = await dashboards("alice")
    got = await page.evaluate(STATS)
    # The first: loss since the start, no bitrate (no interval yet); rtt from remote-inbound-rtp.
    assert got["first"] == {
        "rtt_ms": 48,
        "jitter_ms": 3.1,
        "loss_pct": 1,
        "codec": "opus",
        "candidate_type": "relay",
    }
    # Then over the interval: 2 lost of 100 expected, 20,000 bytes of audio in 5 s each
    # way (the video sent is not counted).
    assert got["second"] == {
        **got["first"],
        "loss_pct": 2,
        "bitrate_in_kbps": 32,
        "bitrate_out_kbps": 32,
    }
    # Nothing measured is nothing sent: no NaN, no loss over no packets, no unknown codec.
    assert got["noPath"] == {}
    # No remote-inbound-rtp: the selected pair's round trip (clamped to 60 s); an
    # unknown candidate type is left out.
    assert got["pairOnly"] == {"rtt_ms": 60000}
