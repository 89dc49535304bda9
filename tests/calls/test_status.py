"""GET /api/v1/sites/<key>/status: what the widget shows before anyone logs in."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from supportcall.calls.models import Call, Connection
from supportcall.directory.models import Agent, ClosedDay, OpeningHours, Queue, Site
from tests.support.ws import SHOP, addr

pytestmark = pytest.mark.usefixtures("directory")


def status(key="shop", origin=SHOP):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().get(f"/api/v1/sites/{key}/status", **headers)


def queue_zone(queue: Queue) -> ZoneInfo:
    return ZoneInfo(queue.timezone)


def online(username: str) -> None:
    agent = Agent.objects.get(user__username=username)
    Connection.objects.create(
        channel_name=f"test.{username}", role="agent", identity=agent.address, agent=agent
    )


def test_nobody_online_means_no_call_possible_now():
    response = status()
    assert response.status_code == 200
    body = response.json()
    assert (body["accepting"], body["open"], body["agents_available"]) == (False, True, 0)
    assert body["queues"][0]["address"] == addr("support")
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_an_available_agent_means_calls_are_possible_with_no_wait():
    online("alice")
    body = status().json()
    assert (body["accepting"], body["agents_available"], body["estimated_wait_s"]) == (True, 1, 0)


def test_the_only_agent_away_means_nobody_can_answer_and_no_wait_is_promised():
    online("alice")
    Agent.objects.filter(user__username="alice").update(presence="away")
    body = status().json()
    assert (body["accepting"], body["agents_available"], body["estimated_wait_s"]) == (
        False,
        0,
        None,
    )
    line = body["queues"][0]
    assert (line["agents_online"], line["agents_answering"], line["accepting"]) == (1, 0, False)


def test_a_busy_agent_keeps_the_line_accepting_with_a_wait():
    online("alice")
    Agent.objects.filter(user__username="alice").update(max_calls=0)
    body = status().json()
    assert body["accepting"] is False  # an agent who may take no call answers nobody
    Agent.objects.filter(user__username="alice").update(max_calls=1)
    site = Site.objects.get(key="shop")
    queue = Queue.objects.get(name="support")
    Call.objects.create(
        site=site,
        caller_identity="x",
        target=queue.address,
        queue=queue,
        media="audio",
        phase="answered",
        offer_sdp="v=0",
        agent=Agent.objects.get(user__username="alice"),
    )
    body = status().json()
    assert (body["accepting"], body["agents_available"]) == (True, 0)
    assert body["estimated_wait_s"] > 0
    assert body["queues"][0]["agents_answering"] == 1


def test_a_line_that_waits_anyway_accepts_with_nobody_to_answer_but_promises_no_wait():
    Queue.objects.filter(name="support").update(wait_when_empty=True)
    body = status().json()
    assert (body["accepting"], body["agents_available"], body["estimated_wait_s"]) == (
        True,
        0,
        None,
    )


def test_a_closed_line_says_when_it_opens():
    online("alice")
    queue = Queue.objects.get(name="support")
    ClosedDay.objects.create(queue=queue, date=timezone.localdate())
    body = status().json()
    assert (body["open"], body["accepting"]) == (False, False)
    assert body["next_open_text"] == "tomorrow 0:00"


def test_weekly_hours_give_the_next_opening():
    queue = Queue.objects.get(name="support")
    later = (timezone.now() + timedelta(days=2)).weekday()
    OpeningHours.objects.create(queue=queue, weekday=later, opens=time(9), closes=time(17))
    body = status().json()
    assert body["open"] is False
    assert body["next_open_text"].endswith("9:00")


def test_an_unknown_site_is_not_found_and_the_page_can_read_so():
    response = status("nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response["Access-Control-Allow-Origin"] == SHOP


def test_the_line_a_widget_names_is_its_queue_an_agent_of_its_queues_or_none():
    online("alice")

    def line(name):
        return (
            Client()
            .get("/api/v1/sites/shop/status", {"line": name}, HTTP_ORIGIN=SHOP)
            .json()["line"]
        )

    assert line("support")["address"] == addr("support")
    assert line(addr("support"))["address"] == addr("support")
    alice = line("alice")
    assert (alice["address"], alice["accepting"], alice["agents_available"]) == (
        addr("alice"),
        True,
        1,
    )
    assert line("nobody") is None
    assert line(addr("nobody")) is None
    assert "line" not in status().json()


def test_a_closed_line_gives_its_time_zone():
    Queue.objects.filter(name="support").update(timezone="Europe/Paris")
    queue = Queue.objects.get(name="support")
    ClosedDay.objects.create(queue=queue, date=timezone.localdate(timezone=queue_zone(queue)))
    line = status().json()["queues"][0]
    assert line["timezone"] == "Europe/Paris"
    assert line["next_open"].endswith(("+01:00", "+02:00"))


def test_a_page_on_an_origin_the_site_does_not_allow_is_forbidden():
    response = status(origin="http://evil.test")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
