"""The check's verdict from measured facts, and a client's check as call.create hands it on."""

from __future__ import annotations

import math

import pytest

from supportcall.precall.verdict import BadCheck, Facts, Limits, Verdict, from_wire, verdict

LIMITS = Limits(rtt_ms=400.0, loss_pct=1.0)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (Facts(connected=True, candidate_type="host", rtt_ms=3.0, loss_pct=0.0), Verdict.GOOD),
        (Facts(connected=True, candidate_type="srflx", rtt_ms=80.0, loss_pct=0.5), Verdict.GOOD),
        (Facts(connected=True, candidate_type="host"), Verdict.GOOD),
        (Facts(connected=True, candidate_type="relay", rtt_ms=30.0), Verdict.RELAY_ONLY),
        (Facts(connected=True, candidate_type="host", rtt_ms=401.0), Verdict.POOR),
        (Facts(connected=True, candidate_type="host", loss_pct=1.5), Verdict.POOR),
        # A bad relayed line says poor: how it sounds matters more to the caller.
        (Facts(connected=True, candidate_type="relay", rtt_ms=900.0), Verdict.POOR),
        (Facts(connected=False), Verdict.BLOCKED),
        (Facts(connected=False, rtt_ms=1.0, loss_pct=0.0), Verdict.BLOCKED),
    ],
)
def test_verdict_follows_the_facts(facts, expected):
    assert verdict(facts, LIMITS) is expected


def test_the_thresholds_are_the_limits_given():
    facts = Facts(connected=True, candidate_type="host", rtt_ms=150.0)
    assert verdict(facts, Limits(rtt_ms=400.0)) is Verdict.GOOD
    assert verdict(facts, Limits(rtt_ms=100.0)) is Verdict.POOR


def test_from_wire_keeps_the_facts_and_gives_the_servers_verdict():
    said = {"verdict": "good", "connected": True, "candidate_type": "relay", "rtt_ms": 20}
    assert from_wire(said, LIMITS) == {
        "verdict": "relay_only",
        "connected": True,
        "candidate_type": "relay",
        "rtt_ms": 20.0,
        "loss_pct": None,
    }
    assert from_wire({"connected": False}, LIMITS) == {
        "verdict": "blocked",
        "connected": False,
        "candidate_type": None,
        "rtt_ms": None,
        "loss_pct": None,
    }


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("good", "must be an object"),
        ([], "must be an object"),
        ({}, "'check.connected' must be true or false"),
        ({"connected": "yes"}, "'check.connected' must be true or false"),
        ({"connected": True, "verdict": "great"}, "'check.verdict' must be one of"),
        ({"connected": True, "candidate_type": "wormhole"}, "'check.candidate_type'"),
        ({"connected": False, "candidate_type": "host"}, "did not connect"),
        ({"connected": True, "rtt_ms": -1}, "'check.rtt_ms' must be a number from 0 to 60000"),
        ({"connected": True, "rtt_ms": math.nan}, "'check.rtt_ms'"),
        ({"connected": True, "rtt_ms": math.inf}, "'check.rtt_ms'"),
        ({"connected": True, "rtt_ms": "12"}, "'check.rtt_ms'"),
        ({"connected": True, "rtt_ms": True}, "'check.rtt_ms'"),
        ({"connected": True, "loss_pct": 101}, "'check.loss_pct' must be a number from 0 to 100"),
        ({"connected": True, "note": "<b>hi</b>"}, "'check' takes only"),
        ({"connected": True, **{f"x{i}": i for i in range(1000)}}, "'check' takes only"),
    ],
)
def test_from_wire_refuses_what_is_not_a_check(value, says):
    with pytest.raises(BadCheck) as caught:
        from_wire(value, LIMITS)
    assert says in str(caught.value)
    assert caught.value.code == "bad_request"
