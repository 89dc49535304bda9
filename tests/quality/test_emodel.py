"""The MOS estimate and the warnings, as pure functions (supportcall/quality/emodel.py)."""

from __future__ import annotations

from supportcall.quality.emodel import Level, Reading, Thresholds, Warning, level, mos, warnings

LIMITS = Thresholds()
CLEAN = Reading(rtt_ms=20, jitter_ms=2, loss_pct=0)


def test_a_clean_link_scores_toll_quality():
    assert mos(Reading(0, 0, 0)) == 4.4
    assert mos(CLEAN) >= 4.3
    assert level(mos(CLEAN), LIMITS) is Level.GOOD


def test_delay_jitter_and_loss_each_lower_the_score():
    assert mos(Reading(300, 2, 0)) < mos(CLEAN)
    assert mos(Reading(20, 40, 0)) < mos(CLEAN)
    assert mos(Reading(20, 2, 5)) < mos(CLEAN)
    assert mos(Reading(300, 40, 5)) < min(mos(Reading(300, 2, 0)), mos(Reading(20, 2, 5)))


def test_the_score_stays_between_1_and_4_5():
    assert mos(Reading(60_000, 60_000, 100)) == 1.0
    assert mos(Reading(None, None, None)) == mos(Reading(0, 0, 0))


def test_a_bad_link_is_poor_and_a_middling_one_fair():
    assert level(mos(Reading(20, 2, 20)), LIMITS) is Level.POOR
    assert level(mos(Reading(400, 20, 2)), LIMITS) is Level.FAIR


def test_round_trip_and_jitter_warn_at_once_loss_only_when_sustained():
    assert warnings([Reading(450, 2, 0)], LIMITS) == [Warning.HIGH_RTT]
    assert warnings([Reading(20, 35, 0)], LIMITS) == [Warning.HIGH_JITTER]
    lossy, clean = Reading(20, 2, 2), CLEAN
    assert warnings([lossy, lossy, clean, clean, clean], LIMITS) == []
    assert warnings([lossy, clean, lossy, clean, lossy], LIMITS) == [Warning.PACKET_LOSS]
    # Only the last five count.
    assert warnings([lossy, clean, clean, clean, clean, lossy, lossy], LIMITS) == []


def test_a_low_score_warns():
    assert Warning.LOW_MOS in warnings([Reading(20, 2, 30)], LIMITS)
    assert warnings([CLEAN], LIMITS) == []
    assert warnings([], LIMITS) == []
