"""The check before the call, from the Python client (a monitoring probe's view).

``run_check`` offers a real aiortc peer connection to the server's echo peer
(``check.start``), waits for the media to connect within the check's time, then
measures what a call would get: the round trip RTCP reports on the echoed audio,
the loss of the echoed audio, and the type of the local candidate of the selected
pair. The verdict comes from ``supportcall.precall.verdict`` (pure, no Django), with
the thresholds the server sent in its ack. Bounded: it always returns within the
check's ``seconds`` (and the signaling timeout), never hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from ..precall.verdict import Facts, Limits, to_wire
from ..vocabulary import Media
from .errors import MediaFailed, SupportCallError
from .media import most_direct_candidate_type
from .quality import QualityMeter

if TYPE_CHECKING:
    from .session import Client

logger = logging.getLogger(__name__)

# Measure at least this long once connected, for RTCP's first round trip (sent about
# every second) and a loss figure over more than a handful of packets.
MEASURE_SECONDS = 3.0


async def run_check(client: Client) -> dict[str, Any]:
    """The check's result as ``call.create``'s ``check`` takes it."""
    peer = client._new_media_peer(Media.AUDIO_SINGLE)
    try:
        offer = await peer.create_offer()
        ack = await client.signaling.request(
            {"type": "check.start", "media": Media.AUDIO_SINGLE, "sdp": offer}
        )
        started = time.monotonic()
        # Leave a second of the server's time for the last measurement.
        deadline = started + max(float(ack["seconds"]) - 1.0, 1.0)
        limits = Limits(**ack["limits"])
        await peer.apply_answer(ack["sdp"])
        try:
            await peer.wait_connected(deadline - time.monotonic())
        except MediaFailed:
            return to_wire(Facts(connected=False), limits)
        facts = await _measure(peer, deadline)
        with contextlib.suppress(SupportCallError, TimeoutError):
            await client.signaling.request({"type": "check.end"})
        return to_wire(facts, limits)
    finally:
        await peer.close()


async def _measure(peer: Any, deadline: float) -> Facts:
    meter = QualityMeter()
    pair = peer.candidate_pair
    kind = pair[0] if pair else None
    await meter.report(peer.pc, 0, kind)  # the baseline for the loss
    enough = min(time.monotonic() + MEASURE_SECONDS, deadline)
    fields: dict[str, Any] = {}
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        fields = await meter.report(peer.pc, 0, kind)
        if time.monotonic() >= enough and "rtt_ms" in fields:
            break
    logger.info("check measured %s", fields)
    return Facts(
        connected=True,
        # The pair ICE chose may be the relay while a direct one works too (see
        # most_direct_candidate_type): the check says the most direct that connected.
        candidate_type=most_direct_candidate_type(peer.pc) or kind,
        rtt_ms=fields.get("rtt_ms"),
        loss_pct=fields.get("loss_pct"),
    )
