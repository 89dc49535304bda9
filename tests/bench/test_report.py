"""The arithmetic of `make bench`'s table: medians, ranges, ratios, targets, the table."""

from __future__ import annotations

import math

import pytest

from bench.__main__ import parse
from bench.report import Row, Summary, Target, number, percentile, ratio, table


def test_summary_is_the_median_with_the_range():
    summary = Summary.of([3.0, 1.0, 2.0])
    assert (summary.median, summary.low, summary.high) == (2.0, 1.0, 3.0)
    assert summary.text("/s") == "2/s (1\u20133)"
    assert Summary.of([2.5, 1.25]).text(" ms") == "1.88 ms (1.25\u20132.50)"


def test_summary_of_an_even_count_averages_the_middle_two():
    assert Summary.of([1, 2, 3, 10]).median == 2.5


def test_summary_ignores_missing_measurements_and_says_so_when_there_are_none():
    assert Summary.of([math.nan, 4.0]).samples == (4.0,)
    empty = Summary.of([])
    assert math.isnan(empty.median)
    assert empty.text() == "n/a"


def test_a_single_measurement_shows_no_range():
    assert Summary.of([120]).text(" ms") == "120 ms"


def test_percentile_interpolates_between_ranks():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))


def test_ratio_is_ours_over_the_floor_and_undefined_without_a_floor():
    assert ratio(150.0, 1000.0) == pytest.approx(0.15)
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 2.0))


def test_targets_bound_from_below_or_above_and_inclusively():
    assert Target("at_least", 0.15).met(0.15) is True
    assert Target("at_least", 0.15).met(0.149) is False
    assert Target("at_most", 100).met(100) is True
    assert Target("at_most", 0).met(1) is False
    assert Target("at_most", 1.3).met(math.nan) is None


def test_a_row_with_a_floor_is_judged_on_the_ratio_of_the_medians():
    row = Row(
        "relay",
        "round trips/s",
        Summary.of([300, 200, 250]),
        Target("at_least", 0.15),
        unit="/s",
        floor=Summary.of([1000, 2000, 1500]),
        floor_name="raw websockets",
    )
    assert row.ratio == pytest.approx(250 / 1500)
    assert row.met is True
    scenario, ours, floor, ratio_text, target, met = row.cells()
    assert scenario == "relay: round trips/s"
    assert ours == "250/s (200\u2013300)"
    assert floor == "1,500/s (1,000\u20132,000) [raw websockets]"
    assert ratio_text == "0.167\u00d7"
    assert target == "\u2265 0.15\u00d7"
    assert met == "yes"


def test_an_absolute_row_is_judged_on_our_value_even_beside_a_floor():
    row = Row(
        "idle",
        "idle CPU",
        Summary.of([95.0]),
        Target("at_most", 10),
        unit="%",
        floor=Summary.of([0.5]),
        absolute=True,
    )
    assert row.met is False
    assert row.cells()[4:] == ["\u2264 10%", "NO"]


def test_a_row_without_a_target_is_only_reported():
    row = Row("relay", "latency p50", Summary.of([5.0]), None, unit=" ms")
    assert row.met is None
    assert row.cells()[2:] == ["\u2014", "\u2014", "(reported)", "\u2014"]


def test_an_unmeasured_row_is_not_met_nor_failed():
    row = Row("setup", "calls/s", Summary.of([]), Target("at_least", 100))
    assert row.met is None
    assert row.cells()[-1] == "n/a"


def test_the_table_has_a_header_a_rule_and_a_line_per_row():
    rows = [
        Row("setup", "failed calls", Summary.of([0, 0, 0]), Target("at_most", 0)),
        Row("setup", "calls/s", Summary.of([4.9]), Target("at_least", 100)),
    ]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["scenario", "ours", "floor", "ratio", "target", "met"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("setup: failed calls") and lines[2].endswith("yes")
    assert lines[3].endswith("NO")
    markdown = table(rows, markdown=True).splitlines()
    assert markdown[0] == "| scenario | ours | floor | ratio | target | met |"
    assert len(markdown) == 4


def test_as_json_carries_the_ratio_and_the_verdict():
    row = Row("r", "m", Summary.of([2]), Target("at_least", 1), floor=Summary.of([1]))
    data = row.as_json()
    assert data["ratio"] == 2 and data["met"] is True
    assert data["ours"]["median"] == 2


def test_numbers_keep_three_significant_figures():
    assert [number(v) for v in (0.0123, 4.4, 26.31, 263.4, 10_312.5)] == [
        "0.0123",
        "4.40",
        "26.3",
        "263",
        "10,312",
    ]


def test_whole_numbers_are_shown_whole():
    assert [number(v) for v in (0, 20.0, 5000)] == ["0", "20", "5,000"]


def test_quick_sizes_give_way_to_options_given():
    args = parse(["--quick", "--relay-calls", "7"])
    assert args.relay_calls == 7
    assert args.setup_calls == 12  # from --quick
    assert parse([]).setup_calls == 400


def test_the_bench_refuses_a_database_off_this_machine():
    with pytest.raises(SystemExit):
        parse(["--postgres-url", "postgres://postgres@db.example.com:5432/postgres"])
