"""The client's side of call quality: ``call.quality`` reports from aiortc's statistics.

Every ``quality_interval`` seconds (the server's ``hello``) of an answered call,
:class:`QualityMeter` turns the peer connection's counters into the report the
contract describes (docs/protocol.md, "Call quality"): the audio received since
the last report (its loss and bitrate), its jitter, the round trip the other
side's receiver reports (RTCP), the bitrate sent, the codec and the type of
the local candidate the media flows through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection

# aiortc gives jitter in RTP timestamp units: Opus (and any WebRTC audio here) ticks at 48 kHz.
AUDIO_CLOCK_HZ = 48_000


@dataclass(frozen=True)
class _Counters:
    at: float
    received: int
    lost: int
    bytes_in: int
    bytes_out: int


def _clamp(value: float, high: float) -> float:
    return round(min(max(value, 0.0), high), 2)


class QualityMeter:
    """One call's reports, each over the interval since the one before."""

    def __init__(self) -> None:
        self._last: _Counters | None = None

    async def report(
        self, pc: RTCPeerConnection, bytes_in: int, candidate_type: str | None
    ) -> dict[str, Any]:
        """The fields of a ``call.quality`` request (those measured), from ``pc``'s
        statistics and ``bytes_in`` (the audio's RTP payload bytes received so far)."""
        stats = await pc.getStats()
        received = lost = bytes_out = 0
        jitter: float | None = None
        rtt: float | None = None
        for item in stats.values():
            kind, audio = getattr(item, "type", ""), getattr(item, "kind", "") == "audio"
            if kind == "inbound-rtp" and audio:
                received += item.packetsReceived
                lost += max(item.packetsLost, 0)
                jitter = item.jitter * 1000 / AUDIO_CLOCK_HZ
            elif kind == "remote-inbound-rtp" and audio and item.roundTripTime is not None:
                rtt = item.roundTripTime * 1000
            elif kind == "outbound-rtp" and audio:  # the audio's, as the bitrate received
                bytes_out += item.bytesSent
        now = _Counters(time.monotonic(), received, lost, bytes_in, bytes_out)
        fields: dict[str, Any] = {}
        if rtt is not None:
            fields["rtt_ms"] = _clamp(rtt, 60_000)
        if jitter is not None:
            fields["jitter_ms"] = _clamp(jitter, 60_000)
        before, self._last = self._last, now
        if before is not None and now.at > before.at:
            seconds = now.at - before.at
            expected = (now.received - before.received) + (now.lost - before.lost)
            if expected > 0:
                fields["loss_pct"] = _clamp(100 * (now.lost - before.lost) / expected, 100)
            fields["bitrate_in_kbps"] = _clamp(
                (now.bytes_in - before.bytes_in) * 8 / 1000 / seconds, 100_000
            )
            fields["bitrate_out_kbps"] = _clamp(
                (now.bytes_out - before.bytes_out) * 8 / 1000 / seconds, 100_000
            )
        codec = audio_codec(pc)
        if codec:
            fields["codec"] = codec
        if candidate_type:
            fields["candidate_type"] = candidate_type
        return fields


def audio_codec(pc: RTCPeerConnection) -> str | None:
    """The audio codec negotiated (``opus``), if aiortc tells."""
    for transceiver in pc.getTransceivers():
        codecs = getattr(transceiver, "_codecs", None) or []
        if transceiver.kind == "audio" and codecs:
            return str(codecs[0].mimeType).split("/")[-1].lower()
    return None
