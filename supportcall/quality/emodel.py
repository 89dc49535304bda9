"""What a quality report means: the MOS estimate and the warnings. Pure: no ORM, no I/O.

The MOS is the ITU-T G.107 E-model simplified as WebRTC monitoring tools do
(docs/metrics.md, "Call quality"): an effective latency from the round trip and
the jitter, a rating R lowered by it and by packet loss, and R mapped to a mean
opinion score between 1 and 4.5. The warnings are those a widely used browser
voice SDK raises, with its default thresholds as settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Warning(StrEnum):
    HIGH_RTT = "high_rtt"
    HIGH_JITTER = "high_jitter"
    PACKET_LOSS = "packet_loss"
    LOW_MOS = "low_mos"


class Level(StrEnum):
    """What a party's indicator shows."""

    GOOD = "good"  # MOS 4 and over: "toll quality"
    FAIR = "fair"
    POOR = "poor"  # under the MOS threshold: users complain


@dataclass(frozen=True)
class Thresholds:
    rtt_ms: float = 400.0
    jitter_ms: float = 30.0
    loss_pct: float = 1.0
    mos: float = 3.5
    # Loss is "sustained" when over its threshold in this many of the last samples.
    loss_samples: int = 3
    loss_window: int = 5


@dataclass(frozen=True)
class Reading:
    """One report's numbers that the estimate uses (None: the party could not measure it)."""

    rtt_ms: float | None
    jitter_ms: float | None
    loss_pct: float | None


def mos(reading: Reading) -> float:
    """The E-model's mean opinion score, 1 to 4.5, two decimals."""
    rtt, jitter, loss = reading.rtt_ms or 0.0, reading.jitter_ms or 0.0, reading.loss_pct or 0.0
    effective = rtt / 2 + 2 * jitter + 10
    r = 93.2 - effective / 40 if effective < 160 else 93.2 - (effective - 120) / 10
    r -= 2.5 * loss
    if r <= 0:
        return 1.0
    score = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r)
    return round(min(4.5, max(1.0, score)), 2)


def level(score: float, thresholds: Thresholds) -> Level:
    if score >= 4.0:
        return Level.GOOD
    return Level.FAIR if score >= thresholds.mos else Level.POOR


def warnings(readings: Sequence[Reading], thresholds: Thresholds) -> list[Warning]:
    """The warnings of a party's latest reading, given the ones before it (newest first)."""
    if not readings:
        return []
    latest = readings[0]
    found = []
    if latest.rtt_ms is not None and latest.rtt_ms > thresholds.rtt_ms:
        found.append(Warning.HIGH_RTT)
    if latest.jitter_ms is not None and latest.jitter_ms > thresholds.jitter_ms:
        found.append(Warning.HIGH_JITTER)
    window = readings[: thresholds.loss_window]
    lossy = [r for r in window if r.loss_pct is not None and r.loss_pct > thresholds.loss_pct]
    if len(lossy) >= thresholds.loss_samples:
        found.append(Warning.PACKET_LOSS)
    if mos(latest) < thresholds.mos:
        found.append(Warning.LOW_MOS)
    return found
