"""The team's figures: how each queue did today, from its call records (docs/metrics.md).

``tally`` is pure: it counts what a list of call times says, so each definition
is tested on calls with known times. ``today`` reads a queue's records for the
day in the queue's own time zone and tallies them, for the day and by hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from supportcall.callbacks.models import CallbackRequest
from supportcall.directory.models import Queue
from supportcall.vocabulary import Reason

from .machine import Party
from .models import Call


@dataclass(frozen=True)
class CallTimes:
    """What the figures read of one call."""

    created: datetime
    answered: datetime | None = None
    ended: datetime | None = None
    ended_by: str = ""
    end_reason: str = ""
    wrap_up_ended: datetime | None = None  # the agent's after-call work for it ended then
    rating: int | None = None  # the visitor's stars, if it rated the call

    @property
    def handled_until(self) -> datetime | None:
        """The end of the agent's work on the call: its after-call work's end, or the
        call's own end when it had none (or it is still going)."""
        if self.ended is None:
            return None
        return max(self.ended, self.wrap_up_ended) if self.wrap_up_ended else self.ended

    @property
    def abandoned(self) -> bool:
        """The caller left before anyone answered: hung up, or their connection went."""
        left = self.ended_by == Party.CALLER or self.end_reason == Reason.CONNECTION_LOST
        return self.answered is None and self.ended is not None and left

    @property
    def wait(self) -> timedelta | None:
        """How long the caller waited for an answer, or until they left."""
        until = self.answered or self.ended
        return until - self.created if until is not None else None


@dataclass(frozen=True)
class Figures:
    offered: int = 0
    answered: int = 0
    answered_in_time: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    unanswered: int = 0  # ended by the line (no agents, the maximum wait), not by the caller
    waited: float = 0.0  # seconds, summed over the answered calls
    # Seconds of talk, hold and after-call work, summed over the answered calls that ended.
    handled: float = 0.0
    ended_answered: int = 0
    rated: int = 0
    stars: int = 0  # summed over the rated calls

    @property
    def service_level(self) -> float | None:
        """Answered within the queue's threshold ÷ offered, short abandons left out of both."""
        counted = self.offered - self.short_abandoned
        return self.answered_in_time / counted if counted else None

    @property
    def average_speed_of_answer(self) -> float | None:
        return self.waited / self.answered if self.answered else None

    @property
    def average_handle_time(self) -> float | None:
        return self.handled / self.ended_answered if self.ended_answered else None

    @property
    def average_rating(self) -> float | None:
        return self.stars / self.rated if self.rated else None

    def as_json(self) -> dict[str, Any]:
        def rounded(value: float | None, digits: int = 1) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "unanswered": self.unanswered,
            "service_level": rounded(self.service_level, 3),
            "average_speed_of_answer_s": rounded(self.average_speed_of_answer),
            "average_handle_time_s": rounded(self.average_handle_time),
            "rated": self.rated,
            "average_rating": rounded(self.average_rating, 2),
        }


def tally(calls: Iterable[CallTimes], service_level_s: int, short_abandon_s: int) -> Figures:
    """The figures of these calls (all offered to one queue); calls still going count as
    offered, and as answered once answered."""
    offered = answered = in_time = abandoned = short = unanswered = ended_answered = 0
    rated = stars = 0
    waited = handled = 0.0
    within, brief = timedelta(seconds=service_level_s), timedelta(seconds=short_abandon_s)
    for call in calls:
        offered += 1
        if call.rating is not None:
            rated += 1
            stars += call.rating
        wait = call.wait
        if call.answered is not None:
            answered += 1
            assert wait is not None
            waited += wait.total_seconds()
            in_time += wait <= within
            if (until := call.handled_until) is not None:
                ended_answered += 1
                handled += (until - call.answered).total_seconds()
        elif call.abandoned:
            abandoned += 1
            assert wait is not None
            short += wait < brief
        elif call.ended is not None:
            unanswered += 1
    return Figures(
        offered=offered,
        answered=answered,
        answered_in_time=in_time,
        abandoned=abandoned,
        short_abandoned=short,
        unanswered=unanswered,
        waited=waited,
        handled=handled,
        ended_answered=ended_answered,
        rated=rated,
        stars=stars,
    )


def today(queue: Queue, now: datetime | None = None) -> dict[str, Any]:
    """The queue's day so far, in its time zone: the totals, by hour, and its callbacks."""
    now = now or timezone.now()
    zone = ZoneInfo(queue.timezone)
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = Call.objects.filter(queue=queue, created__gte=midnight, created__lte=now)
    calls = [
        CallTimes(*values)
        for values in rows.values_list(
            "created", "answered", "ended", "ended_by", "end_reason", "wrap_up_ended", "rating"
        )
    ]
    settings = (queue.service_level_seconds, queue.short_abandon_seconds)
    hours: list[list[CallTimes]] = [[] for _ in range(local.hour + 1)]
    for call in calls:
        hours[min(call.created.astimezone(zone).hour, local.hour)].append(call)
    callbacks = CallbackRequest.objects.filter(queue=queue)
    return {
        "queue": queue.address,
        "timezone": queue.timezone,
        "since": midnight.isoformat(),
        "service_level_s": queue.service_level_seconds,
        "short_abandon_s": queue.short_abandon_seconds,
        **tally(calls, *settings).as_json(),
        "callbacks_requested": callbacks.filter(created__gte=midnight).count(),
        "callbacks_completed": callbacks.filter(
            status=CallbackRequest.Status.DONE, done__gte=midnight
        ).count(),
        "by_hour": [
            {"hour": hour, **tally(bucket, *settings).as_json()}
            for hour, bucket in enumerate(hours)
        ],
    }
