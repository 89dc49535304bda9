"""Opening hours across time zones, midnight and closed days."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from supportcall.directory.hours import Schedule, describe_opening, schedule

UTC = ZoneInfo("UTC")
WEEKDAYS_9_TO_17 = [(d, time(9), time(17)) for d in range(5)]


def at(*args, tz="UTC") -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


def test_no_hours_is_always_open():
    assert Schedule().is_open(at(2026, 11, 29, 3, 0))  # a Sunday night


def test_weekday_hours_in_the_queues_time_zone():
    paris = schedule("Europe/Paris", WEEKDAYS_9_TO_17, [])
    # Monday 2026-11-30: 9:00 in Paris is 8:00 UTC (winter time).
    assert not paris.is_open(at(2026, 11, 30, 7, 59))
    assert paris.is_open(at(2026, 11, 30, 8, 0))
    assert paris.is_open(at(2026, 11, 30, 15, 59))
    assert not paris.is_open(at(2026, 11, 30, 16, 0))


def test_the_same_instant_is_open_in_one_zone_and_closed_in_another():
    instant = at(2026, 11, 30, 15, 30)  # Monday 15:30 UTC
    assert schedule("Europe/Paris", WEEKDAYS_9_TO_17, []).is_open(instant)  # 16:30 local
    assert not schedule("Asia/Tokyo", WEEKDAYS_9_TO_17, []).is_open(instant)  # 00:30 Tuesday
    assert schedule("America/New_York", WEEKDAYS_9_TO_17, []).is_open(instant)  # 10:30 local
    assert not schedule("America/Los_Angeles", WEEKDAYS_9_TO_17, []).is_open(instant)  # 7:30


def test_across_the_date_line_the_local_weekday_counts():
    tokyo = schedule("Asia/Tokyo", WEEKDAYS_9_TO_17, [])
    # Sunday 2026-11-29 23:30 UTC is Monday 08:30 in Tokyo: closed, opens at 9:00 local.
    sunday_utc = at(2026, 11, 29, 23, 30)
    assert not tokyo.is_open(sunday_utc)
    assert tokyo.next_opening(sunday_utc) == at(2026, 11, 30, 9, 0, tz="Asia/Tokyo")
    assert tokyo.is_open(at(2026, 11, 30, 0, 0))  # Monday 9:00 Tokyo


def test_daylight_saving_time_moves_the_utc_hours():
    paris = schedule("Europe/Paris", WEEKDAYS_9_TO_17, [])
    # Monday 2026-06-01 (summer, UTC+2): 9:00 local is 7:00 UTC.
    assert paris.is_open(at(2026, 6, 1, 7, 0))
    assert not paris.is_open(at(2026, 6, 1, 6, 59))


def test_closed_dates_close_the_whole_local_day():
    paris = schedule("Europe/Paris", WEEKDAYS_9_TO_17, [date(2026, 12, 25)])
    assert not paris.is_open(at(2026, 12, 25, 10, 0))  # a Friday
    assert paris.next_opening(at(2026, 12, 25, 10, 0)) == at(2026, 12, 28, 9, 0, tz="Europe/Paris")


def test_closed_dates_alone_on_an_otherwise_always_open_line():
    line = schedule("UTC", [], [date(2026, 1, 1)])
    assert not line.is_open(at(2026, 1, 1, 12, 0))
    assert line.next_opening(at(2026, 1, 1, 12, 0)) == at(2026, 1, 2, 0, 0)


def test_hours_until_midnight():
    late = schedule("UTC", [(4, time(18), time(0))], [])
    assert late.is_open(at(2026, 11, 27, 23, 59))  # Friday
    assert not late.is_open(at(2026, 11, 28, 0, 0))  # Saturday


def test_next_opening_on_the_weekend_is_monday():
    paris = schedule("Europe/Paris", WEEKDAYS_9_TO_17, [])
    saturday = at(2026, 11, 28, 12, 0)
    opening = paris.next_opening(saturday)
    assert opening == at(2026, 11, 30, 9, 0, tz="Europe/Paris")
    assert describe_opening(opening, saturday) == "Monday 9:00"


def test_next_opening_later_today_and_tomorrow():
    paris = schedule("Europe/Paris", WEEKDAYS_9_TO_17, [])
    early = at(2026, 11, 30, 6, 0)  # Monday 7:00 Paris
    assert describe_opening(paris.next_opening(early), early) == "today 9:00"
    evening = at(2026, 11, 30, 18, 0)  # Monday 19:00 Paris
    assert describe_opening(paris.next_opening(evening), evening) == "tomorrow 9:00"


def test_a_line_that_never_opens_has_no_next_opening():
    never = schedule(
        "UTC",
        [],
        [date(2026, 1, 1) + (date(2026, 1, 2) - date(2026, 1, 1)) * i for i in range(500)],
    )
    assert never.next_opening(at(2026, 1, 1, 0, 0), horizon_days=400) is None
