"""A lossy media path shows in the reports, drops the MOS, warns the right party and stays
on the record (issue 12).

The loss is made where the agent's media arrives: a quarter of the audio packets
reaching the agent's peer connection are dropped before aiortc sees them, as a
lossy downlink would (aiortc counts them lost by their sequence numbers). The
visitor's own reception stays clean, so only the agent's side warns.
"""

from __future__ import annotations

import json
from itertools import count

from supportcall.client import Options
from tests.support.servers import django_shell

SAMPLES = """
import json
from supportcall.quality.models import Sample
rows = Sample.objects.filter(call_id="{call_id}").order_by("at")
print(json.dumps([[s.party, s.loss_pct, s.mos, s.warnings] for s in rows]))
"""


def lose_every(pc, nth: int) -> None:
    """Drop every ``nth`` audio RTP packet arriving at ``pc``."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "audio":
            continue
        receiver = transceiver.receiver
        handle, seen = receiver._handle_rtp_packet, count(1)

        async def lossy(packet, *args, _handle=handle, _seen=seen, **kwargs):
            if next(_seen) % nth:
                await _handle(packet, *args, **kwargs)

        receiver._handle_rtp_packet = lossy


def warned(party, side: str, warning: str) -> bool:
    return warning in party.quality.get(side, {}).get("warnings", [])


async def test_a_lossy_path_lowers_the_mos_and_warns_the_party_receiving_it(clients, server):
    call, incoming = await clients.answered_call(Options(server.url, quality_interval=1.0))
    await call.wait_for_media("audio", timeout=10)
    await incoming.wait_for(lambda: incoming.quality.get("local"), 10, "a first report")
    assert incoming.quality["local"]["level"] == "good"

    lose_every(incoming.media_peer.pc, 4)  # the agent's downlink loses a quarter
    await incoming.wait_for(lambda: warned(incoming, "local", "packet_loss"), 15, "the warning")
    local = incoming.quality["local"]
    assert local["level"] == "poor" and local["mos"] < 3.5, local
    assert "low_mos" in local["warnings"]
    # The visitor is told the fault is on the agent's side; its own reception is clean.
    await call.wait_for(lambda: warned(call, "remote", "packet_loss"), 5, "the other side")
    assert call.quality["local"]["warnings"] == [] and call.quality["local"]["level"] == "good"

    shell = django_shell(server.env, SAMPLES.format(call_id=call.call_id))
    series = json.loads(shell.strip().splitlines()[-1])
    agents = [row for row in series if row[0] == "agent"]
    assert agents[0][1] is None or agents[0][1] < 1  # clean before the loss began
    lossy = [row for row in agents if row[1] is not None and row[1] >= 15]
    assert len(lossy) >= 3, agents  # sustained: three reports over the threshold
    assert all(row[2] < 3.5 for row in lossy)
    assert all(row[1] is None or row[1] < 1 for row in series if row[0] == "caller")
