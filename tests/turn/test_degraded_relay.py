"""A call whose network path goes bad: it shows in the reports, the MOS drops, the
warning reaches the party whose network it is, and the record keeps the series (issue 12).

The parties are the Python client in the two namespaces of tests/turn/conftest.py, meeting
only through coturn; their TURN URL names a UDP forwarder (tests/support/impairment.py)
in front of it. Once audio flows, the test makes the agent's downlink lose a quarter of
its packets, 150 ms later and with 40 ms of jitter; the visitor's own reception stays
clean.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest

from supportcall import turn
from tests.support.impairment import Degradation, Impairment
from tests.support.netns import SECRET, place_call
from tests.support.servers import django_shell

SERIES = """
import json
from supportcall.quality.models import Sample
rows = Sample.objects.filter(call_id="{call_id}").order_by("at")
print(json.dumps([[s.party, s.loss_pct, s.rtt_ms, s.jitter_ms, s.mos, s.warnings]
                  for s in rows]))
"""
CALL_ID = """
from supportcall.calls.models import Call
print(Call.objects.order_by("-created").values_list("id", flat=True).first())
"""


@pytest.fixture
def impairment(island, relay) -> Iterator[Impairment]:
    forwarder = Impairment(island.server, (relay.host, relay.port), island.agent.address)
    try:
        yield forwarder.start()
    finally:
        forwarder.stop()


def through(impairment: Impairment) -> str:
    """iceServers naming the forwarder, with a credential coturn takes."""
    servers = turn.ice_servers(
        identity="party@support.example.com", now=time.time(), secret=SECRET,
        urls=[impairment.url], ttl=600,
    )  # fmt: skip
    return json.dumps(servers)


async def quality_until(party, check, what: str, timeout: float = 40.0) -> dict:
    """Ask ``party`` for its view of the call's quality until ``check`` holds."""
    deadline = time.monotonic() + timeout
    seen: dict = {}
    while time.monotonic() < deadline:
        party.tell("quality")
        seen = await party.event()
        assert seen["event"] == "quality", seen
        if check(seen):
            return seen
        await asyncio.sleep(1.0)
    raise AssertionError(f"{party.role}: no {what} in {timeout}s; last {seen}\n{party.log}")


def warns(side: str, warning: str):
    return lambda seen: warning in (seen.get(side) or {}).get("warnings", [])


async def test_a_degraded_downlink_lowers_the_mos_warns_its_party_and_stays_on_the_record(
    netns_parties, island, server, impairment
):
    visitor, agent = await place_call(
        netns_parties, island, "--ice-servers", through(impairment), "--quality-interval", "1"
    )
    for party in (visitor, agent):
        media = await party.event()
        assert media["event"] == "media", f"{party.role}: {media}\n{party.log}"
        assert media["pair"] == ["relay", "relay"], party.role
    clean = await quality_until(agent, lambda seen: seen.get("local"), "first report")
    assert clean["local"]["level"] == "good", clean

    impairment.degrade(Degradation(loss=0.25, delay=0.15, jitter=0.04))
    bad = await quality_until(agent, warns("local", "packet_loss"), "loss warning")
    assert bad["local"]["level"] == "poor" and bad["local"]["mos"] < 3.5, bad
    assert "low_mos" in bad["local"]["warnings"], bad
    # The visitor is told the fault is on the agent's side; its own reception is clean.
    told = await quality_until(visitor, warns("remote", "packet_loss"), "the other side's")
    assert "packet_loss" not in told["local"]["warnings"], told
    assert impairment.forwarded["dropped"] > 0

    call_id = django_shell(server.env, CALL_ID).strip().splitlines()[-1]
    # aiortc's round trip follows the delay over a few reports: wait for it too.
    series = await series_until(server, call_id, lambda rows: len(lossy_of(rows)) >= 3 and max(
        row[2] or 0 for row in lossy_of(rows)) >= 100)  # fmt: skip
    visitor.tell("end")
    assert (await visitor.event())["reason"] == "ended_by_local"
    assert (await agent.event())["reason"] == "ended_by_remote"

    agents = [row for row in series if row[0] == "agent"]
    first, lossy = agents[0], lossy_of(series)  # sustained: three reports over the threshold
    assert (first[1] is None or first[1] < 1) and first[5] == [], agents  # clean before
    assert all(row[4] < 3.5 for row in lossy), lossy
    # The added delay is in the agent's round trip, the jitter in what it receives.
    assert max(row[2] or 0 for row in lossy) >= 100, lossy
    assert min(row[3] for row in lossy) > 5 * (first[3] or 1), agents
    callers = [row for row in series if row[0] == "caller"]
    assert callers and all(row[1] is None or row[1] < 1 for row in callers), callers


def lossy_of(series: list[list]) -> list[list]:
    return [row for row in series if row[0] == "agent" and (row[1] or 0) >= 15]


async def series_until(server, call_id: str, check, timeout: float = 40.0) -> list[list]:
    """The call's quality series on the record, once ``check`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        shell = await asyncio.to_thread(django_shell, server.env, SERIES.format(call_id=call_id))
        series = json.loads(shell.strip().splitlines()[-1])
        if check(series) or time.monotonic() > deadline:
            return series
        await asyncio.sleep(1.0)
