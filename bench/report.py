"""Summaries, ratios and the table of `make bench`: pure code, no I/O but the printing.

A scenario is measured several times; each quantity is reported as the median
of its repetitions with their range, and compared with a floor (the same
quantity measured on a minimal server in the same run) as a ratio, or with
an absolute target.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Direction = Literal["at_least", "at_most"]
# Written as escapes so that no look-alike character hides in the source.
DASH, TIMES = "\u2013", "\u00d7"


@dataclass(frozen=True)
class Summary:
    """The median of repeated measurements, with their min and max."""

    median: float
    low: float
    high: float
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        values = [float(s) for s in samples if s is not None and not math.isnan(float(s))]
        if not values:
            return cls(math.nan, math.nan, math.nan, ())
        return cls(statistics.median(values), min(values), max(values), tuple(values))

    def text(self, unit: str = "") -> str:
        if not self.samples:
            return "n/a"
        if len(self.samples) == 1 or self.low == self.high:
            return f"{number(self.median)}{unit}"
        return f"{number(self.median)}{unit} ({number(self.low)}{DASH}{number(self.high)})"


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 to 100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def ratio(ours: float, floor: float) -> float:
    """ours / floor; NaN when either is missing or the floor is zero."""
    if math.isnan(ours) or math.isnan(floor) or floor == 0:
        return math.nan
    return ours / floor


def number(value: float) -> str:
    """Whole numbers as they are; others to three significant figures."""
    if math.isnan(value):
        return "n/a"
    if float(value).is_integer():  # counts: 0 failures, 5,000 connections
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Target:
    """A bound on a value (a ratio to a floor, or an absolute quantity)."""

    direction: Direction
    bound: float

    def met(self, value: float) -> bool | None:
        """None when the value could not be measured."""
        if math.isnan(value):
            return None
        return value >= self.bound if self.direction == "at_least" else value <= self.bound

    def text(self, unit: str = "") -> str:
        sign = "≥" if self.direction == "at_least" else "≤"
        return f"{sign} {number(self.bound)}{unit}"


@dataclass
class Row:
    """One line of the table: a quantity of a scenario, ours against a floor or a target.

    With a floor the target bounds the ratio of the medians (ours / floor);
    without one it bounds our median itself.
    """

    scenario: str
    metric: str
    ours: Summary
    target: Target | None
    unit: str = ""
    floor: Summary | None = None
    floor_name: str = ""
    note: str = ""
    # The target bounds our value even when a floor is shown beside it (idle CPU).
    absolute: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.floor is None:
            return math.nan
        return ratio(self.ours.median, self.floor.median)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        on_ratio = self.floor is not None and not self.absolute
        return self.target.met(self.ratio if on_ratio else self.ours.median)

    def cells(self) -> list[str]:
        floor = "—" if self.floor is None else self.floor.text(self.unit)
        if self.floor is not None and self.floor_name:
            floor = f"{floor} [{self.floor_name}]"
        ratio_text = "—" if self.floor is None else f"{number(self.ratio)}{TIMES}"
        if self.target is None:
            target = "(reported)"
        elif self.floor is not None and not self.absolute:
            target = self.target.text(TIMES)
        else:
            target = self.target.text(self.unit)
        met = {True: "yes", False: "NO", None: "—" if self.target is None else "n/a"}[self.met]
        return [
            f"{self.scenario}: {self.metric}",
            self.ours.text(self.unit),
            floor,
            ratio_text,
            target,
            met,
        ]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if math.isnan(self.ratio) else self.ratio
        data["met"] = self.met
        return data


HEADERS = ["scenario", "ours", "floor", "ratio", "target", "met"]


def table(rows: Sequence[Row], markdown: bool = False) -> str:
    """The rows as a plain-text table (or a Markdown one, for docs/performance.md)."""
    lines = [HEADERS, *[row.cells() for row in rows]]
    if markdown:
        out = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        out += ["| " + " | ".join(cells) + " |" for cells in lines[1:]]
        return "\n".join(out)
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(HEADERS))]
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        for cells in lines
    ]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in rendered)
