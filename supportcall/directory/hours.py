"""Opening hours: pure functions over weekly hours, closed dates and a time zone.

A queue with no weekly hours is always open. Hours are local to the queue's
time zone, so "Monday 9:00-17:00 Europe/Paris" stays right across daylight
saving time and for callers anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Span:
    """Open from ``opens`` to ``closes`` (local time) on ``weekday`` (0 is Monday)."""

    weekday: int
    opens: time
    closes: time  # 00:00 means midnight at the end of the day


@dataclass(frozen=True)
class Schedule:
    timezone: str = "UTC"
    spans: tuple[Span, ...] = ()
    closed: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.spans and not self.closed

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.closed:
            return False
        if not self.spans:
            return True
        return any(_covers(span, local) for span in self.spans)

    def next_opening(self, after: datetime, horizon_days: int = 400) -> datetime | None:
        """When the line next opens after ``after`` (itself if open now); None if never."""
        if self.is_open(after):
            return after
        zone = ZoneInfo(self.timezone)
        local = after.astimezone(zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if day in self.closed:
                continue
            starts = (
                sorted(span.opens for span in self.spans if span.weekday == day.weekday())
                if self.spans
                else [time(0)]
            )
            for opens in starts:
                moment = datetime.combine(day, opens, tzinfo=zone)
                if moment > local:
                    return moment
        return None


def _covers(span: Span, local: datetime) -> bool:
    if span.weekday != local.weekday():
        return False
    now = local.time().replace(tzinfo=None)
    if span.closes == time(0):  # until midnight
        return now >= span.opens
    return span.opens <= now < span.closes


@dataclass(frozen=True)
class OpeningWords:
    """How describe_opening says a day: {time} (and {day}) filled in; weekdays from Monday."""

    today: str = "today {time}"
    tomorrow: str = "tomorrow {time}"
    weekday: str = "{day} {time}"
    weekdays: tuple[str, ...] = tuple(WEEKDAYS)


def describe_opening(moment: datetime, now: datetime, words: OpeningWords = OpeningWords()) -> str:
    """'today 9:00', 'tomorrow 9:00' or 'Monday 9:00', in the moment's own time zone; in
    English (the API's words) unless ``words`` says it in another language."""
    local_now = now.astimezone(moment.tzinfo)
    days = (moment.date() - local_now.date()).days
    when = moment.strftime("%-H:%M")
    if days == 0:
        return words.today.format(time=when)
    if days == 1:
        return words.tomorrow.format(time=when)
    if days < 7:
        return words.weekday.format(day=words.weekdays[moment.weekday()], time=when)
    return f"{moment:%Y-%m-%d} {when}"


def schedule(
    timezone: str, spans: Iterable[tuple[int, time, time]], closed: Iterable[date]
) -> Schedule:
    return Schedule(timezone, tuple(Span(*s) for s in spans), frozenset(closed))
