"""What a check before the call means for the visitor. Pure: no ORM, no I/O, no Django.

A check (``check.start``, supportcall/precall/echo.py) is a real WebRTC session
with the server; the client measures what it can (did the media connect, the
selected candidate pair's type, the round trip, the packet loss) and this module
turns those facts into one of four words the widget, the Python client and the
agent's dashboard say in plain words. ``from_wire`` reads a check a client hands
on with ``call.create``: the server keeps the facts and its own verdict of them,
never a word the client made up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from supportcall.vocabulary import ErrorCode

# Each number's unit and range (those of a quality report, supportcall/quality/reports.py).
RANGES = {"rtt_ms": (0.0, 60_000.0), "loss_pct": (0.0, 100.0)}
CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
FIELDS = frozenset({"verdict", "connected", "candidate_type", *RANGES})


class Verdict(StrEnum):
    GOOD = "good"  # "Good to go"
    POOR = "poor"  # connected, but the round trip or the loss is over the quality thresholds
    RELAY_ONLY = "relay_only"  # "Your network only works through our relay"
    BLOCKED = "blocked"  # "We cannot reach you: try another network"


@dataclass(frozen=True)
class Limits:
    """Over these a connected check is ``poor``: the quality warnings' thresholds
    (SUPPORTCALL_QUALITY_RTT_MS, SUPPORTCALL_QUALITY_LOSS_PCT)."""

    rtt_ms: float = 400.0
    loss_pct: float = 1.0


@dataclass(frozen=True)
class Facts:
    """What a check measured. ``candidate_type`` is the local side of the selected pair."""

    connected: bool
    candidate_type: str | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None


class BadCheck(ValueError):
    """A check result that is not one (``bad_request``)."""

    code = ErrorCode.BAD_REQUEST


def verdict(facts: Facts, limits: Limits) -> Verdict:
    """Blocked without media; poor when it connected but sounds bad (that matters more
    to a caller than the path); relay_only when only the relay worked; else good."""
    if not facts.connected:
        return Verdict.BLOCKED
    if (facts.rtt_ms is not None and facts.rtt_ms > limits.rtt_ms) or (
        facts.loss_pct is not None and facts.loss_pct > limits.loss_pct
    ):
        return Verdict.POOR
    if facts.candidate_type == "relay":
        return Verdict.RELAY_ONLY
    return Verdict.GOOD


def to_wire(facts: Facts, limits: Limits) -> dict[str, Any]:
    """The check as ``call.create``'s ``check`` and ``call.incoming``'s ``from.check``."""
    return {"verdict": verdict(facts, limits).value, **asdict(facts)}


def from_wire(value: Any, limits: Limits) -> dict[str, Any]:
    """A client's check, validated, with the server's verdict of its facts; ``BadCheck``
    says what is wrong. A ``verdict`` the client sends must be one of the four words,
    but the facts decide."""
    if not isinstance(value, Mapping):
        raise BadCheck("'check' must be an object")
    unknown = set(value) - FIELDS
    if unknown:
        raise BadCheck(f"'check' takes only {', '.join(sorted(FIELDS))}")
    connected = value.get("connected")
    if not isinstance(connected, bool):
        raise BadCheck("'check.connected' must be true or false")
    said = value.get("verdict")
    if said is not None and said not in set(Verdict):
        raise BadCheck(f"'check.verdict' must be one of {', '.join(Verdict)}")
    kind = value.get("candidate_type")
    if kind is not None and kind not in CANDIDATE_TYPES:
        raise BadCheck(f"'check.candidate_type' must be one of {', '.join(CANDIDATE_TYPES)}")
    if kind is not None and not connected:
        raise BadCheck("a check that did not connect has no 'check.candidate_type'")
    numbers: dict[str, float | None] = {}
    for name, (low, high) in RANGES.items():
        number = value.get(name)
        if number is not None and (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not low <= number <= high
        ):
            raise BadCheck(f"'check.{name}' must be a number from {low:g} to {high:g}")
        numbers[name] = None if number is None else float(number)
    return to_wire(Facts(connected, kind, **numbers), limits)
