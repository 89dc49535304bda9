"""GET /api/v1/sites/<key>/status: what the widget shows before anyone logs in."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from supportcall.calls.models import Connection
from supportcall.directory.models import Agent, ClosedDay, OpeningHours, Queue
from tests.support.ws import SHOP, addr

pytestmark = pytest.mark.usefixtures("directory")


def status(key="shop", origin=SHOP):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().get(f"/api/v1/sites/{key}/status", **headers)


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


def test_all_agents_away_keeps_the_line_accepting_but_with_a_wait():
    online("alice")
    Agent.objects.filter(user__username="alice").update(presence="away")
    body = status().json()
    assert body["accepting"] is True and body["agents_available"] == 0
    assert body["estimated_wait_s"] > 0


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


def test_an_unknown_site_is_not_found():
    response = status("nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_page_on_an_origin_the_site_does_not_allow_is_forbidden():
    response = status(origin="http://evil.test")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
