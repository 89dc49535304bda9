"""The team's figures (docs/metrics.md): each definition on calls with known times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls import charts
from supportcall.calls.figures import CallTimes, tally, today
from supportcall.calls.models import Call
from supportcall.directory.models import Agent, Queue, Site

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("UTC"))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def answered(wait: float, talk: float | None) -> CallTimes:
    return CallTimes(at(0), at(wait), at(wait + talk) if talk is not None else None, "caller")


# Ten calls offered to one queue (service level 20 s, short abandons under 5 s):
KNOWN = [
    answered(4, 60),  # answered in time, 60 s handled
    answered(20, 120),  # answered on the threshold: in time
    answered(35, 30),  # answered late
    answered(8, None),  # answered, still talking: no handle time yet
    CallTimes(at(0), None, at(3), "caller", "ended_by_local"),  # short abandon
    CallTimes(at(0), None, at(45), "caller", "ended_by_local"),  # abandoned after 45 s
    CallTimes(at(0), None, at(12), "system", "connection_lost"),  # the caller's network went
    CallTimes(at(0), None, at(1), "system", "no_agents"),  # the line gave up: unanswered
    CallTimes(at(0), None, at(300), "system", "no_answer"),  # the maximum wait: unanswered
    CallTimes(at(0)),  # still waiting
]


def test_each_figure_counts_what_its_definition_says():
    figures = tally(KNOWN, service_level_s=20, short_abandon_s=5)
    assert figures.as_json() == {
        "offered": 10,
        "answered": 4,
        "abandoned": 3,
        "short_abandoned": 1,
        "unanswered": 2,
        # 3 answered within 20 s (4, 20 and 8 s), of 10 offered less the short abandon.
        "service_level": round(3 / 9, 3),
        "average_speed_of_answer_s": round((4 + 20 + 35 + 8) / 4, 1),
        "average_handle_time_s": round((60 + 120 + 30) / 3, 1),
        "rated": 0,
        "average_rating": None,
    }


def test_the_average_rating_is_the_stars_of_the_rated_calls_over_those_calls():
    rated = [CallTimes(at(0), at(5), at(60), "caller", rating=stars) for stars in (5, 4, 2)]
    unrated = CallTimes(at(0), at(5), at(60), "caller")
    figures = tally([*rated, unrated], 20, 5).as_json()
    assert (figures["rated"], figures["average_rating"]) == (3, round(11 / 3, 2))


def test_the_average_handle_time_counts_after_call_work_once_it_ended():
    talked = CallTimes(at(0), at(10), at(70), "caller", wrap_up_ended=at(85))  # 60 s + 15 s
    wrapping = CallTimes(at(0), at(10), at(40), "caller")  # no wrap-up, or still going: 30 s
    assert tally([talked, wrapping], 20, 5).as_json()["average_handle_time_s"] == (75 + 30) / 2


def test_figures_of_nothing_are_zero_and_the_averages_empty():
    assert tally([], 20, 5).as_json() == {
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "short_abandoned": 0,
        "unanswered": 0,
        "service_level": None,
        "average_speed_of_answer_s": None,
        "average_handle_time_s": None,
        "rated": 0,
        "average_rating": None,
    }


def test_the_thresholds_are_the_queues():
    strict = tally(KNOWN, service_level_s=5, short_abandon_s=0)
    assert (strict.answered_in_time, strict.short_abandoned) == (1, 0)  # only the 4 s one
    assert strict.service_level == 1 / 10


def _call(queue: Queue, created: datetime, **times) -> Call:
    call = Call.objects.create(
        site=Site.objects.get(key="shop"),
        target=queue.address,
        queue=queue,
        media="audio",
        caller_identity="anonymous-1@support.example.com",
        offer_sdp="v=0",
        **times,
    )
    Call.objects.filter(pk=call.pk).update(created=created)  # created is set on insert
    return call


@pytest.mark.usefixtures("directory")
def test_today_is_the_queues_day_in_its_time_zone_by_hour():
    queue = Queue.objects.get(name="support")
    queue.timezone = "Europe/Paris"  # UTC+1 in December
    queue.save()
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 12, 2, 11, 30, tzinfo=paris)
    # Yesterday evening in Paris (today in no time zone that matters here): left out.
    _call(queue, datetime(2026, 12, 1, 23, 50, tzinfo=paris), ended=now, ended_by="caller")
    # 00:10 Paris, which is still Dec 1 in UTC: counted, in hour 0.
    early = datetime(2026, 12, 2, 0, 10, tzinfo=paris)
    _call(queue, early, answered=early + timedelta(seconds=5), ended=early + timedelta(minutes=3))
    # Two at 10:xx: one answered late, one abandoned short.
    ten = datetime(2026, 12, 2, 10, 5, tzinfo=paris)
    _call(  # and wrapped up 10 s after its end
        queue,
        ten,
        answered=ten + timedelta(seconds=40),
        ended=ten + timedelta(seconds=100),
        wrap_up_ended=ten + timedelta(seconds=110),
    )
    _call(queue, ten, ended=ten + timedelta(seconds=2), ended_by="caller")
    # Another queue's call does not count.
    _call(Queue.objects.get(name="billing"), ten, ended=ten, ended_by="caller")
    callback = CallbackRequest.objects.create(
        site=Site.objects.get(key="shop"), queue=queue, name="Ann", email="ann@example.com"
    )
    CallbackRequest.objects.filter(pk=callback.pk).update(
        status=CallbackRequest.Status.DONE, done=now
    )

    day = today(queue, now)

    assert (day["since"], day["timezone"]) == ("2026-12-02T00:00:00+01:00", "Europe/Paris")
    assert (day["offered"], day["answered"], day["abandoned"], day["short_abandoned"]) == (
        3,
        2,
        1,
        1,
    )
    assert day["service_level"] == 0.5  # 1 in 20 s of 3 offered less 1 short abandon
    assert day["average_speed_of_answer_s"] == 22.5
    assert day["average_handle_time_s"] == (175 + 70) / 2
    assert (day["callbacks_requested"], day["callbacks_completed"]) == (1, 1)
    assert [h["hour"] for h in day["by_hour"]] == list(range(12))  # up to 11:xx, now
    assert [h["offered"] for h in day["by_hour"]] == [1] + [0] * 9 + [2, 0]
    assert day["by_hour"][10]["short_abandoned"] == 1


def logged_in(name: str, staff: bool = False) -> Client:
    user = Agent.objects.get(user__username=name).user
    user.is_staff = staff
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("directory")
def test_the_figures_and_their_chart_are_for_staff_only():
    for url in ("/api/v1/supervisor/figures", "/api/v1/supervisor/figures/support.svg"):
        assert Client().get(url).status_code == 401
        assert logged_in("alice").get(url).status_code == 403
    staff = logged_in("bob", staff=True)
    body = staff.get("/api/v1/supervisor/figures").json()
    assert [q["queue"] for q in body["queues"]] == [
        "billing@support.example.com",
        "support@support.example.com",
    ]
    chart = staff.get("/api/v1/supervisor/figures/support.svg")
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    assert b"support@support.example.com today (UTC): 0 calls offered" in chart.content
    missing = staff.get("/api/v1/supervisor/figures/nowhere.svg")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.usefixtures("directory")
def test_the_chart_draws_a_bar_per_hour_scaled_to_the_busiest():
    queue = Queue.objects.get(name="support")
    now = datetime.now(ZoneInfo("UTC")).replace(hour=5, minute=30)
    for minute in range(4):
        _call(queue, now.replace(hour=2, minute=minute), answered=now.replace(hour=2, minute=10))
    _call(queue, now.replace(hour=4, minute=0))
    drawn = charts.bars(today(queue, now)["by_hour"])
    heights = {bar["hour"]: (bar["offered_h"], bar["answered_h"]) for bar in drawn["bars"]}
    full = drawn["baseline"]
    assert drawn["top"] == 4
    assert heights[2] == (full, full)
    assert heights[4] == (full / 4, 0)
    assert heights[3] == (0, 0)
