"""The dashboard's pages and its recent-calls endpoint, through Django's test client."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from supportcall.calls.machine import LegStatus
from supportcall.calls.models import Call, Connection, Leg
from supportcall.directory.models import Agent, Site
from tests.support.ws import PASSWORD, addr

pytestmark = pytest.mark.usefixtures("directory")


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def page_config(response) -> dict:
    """The JSON the page hands to dashboard.js (Django's json_script)."""
    html = response.content.decode()
    start = html.index('<script id="dashboard-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def a_call(agent: str, leg_status: str, leg_reason: str = "", **fields) -> Call:
    """A call from Ada that rang this agent, with the facts a finished call leaves."""
    defaults = {
        "site": Site.objects.get(key="shop"),
        "caller_identity": "anonymous-1@support.example.com",
        "caller_display_name": "Ada",
        "caller_context": {"order": "1042"},
        "target": addr("support"),
        "media": "audio",
        "offer_sdp": "v=0",
    }
    call = Call.objects.create(**{**defaults, **fields})
    Leg.objects.create(
        call=call,
        agent=Agent.objects.get(user__username=agent),
        status=leg_status,
        reason=leg_reason,
    )
    return call


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/agent/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/agent/"


def test_the_login_page_is_a_styled_form_for_agents(client):
    response = client.get("/accounts/login/?next=/agent/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="/agent/"' in html
    assert "supportcall/dashboard.css" in html


def test_a_wrong_password_says_so_on_the_login_page(client):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content


def test_logging_in_as_an_agent_leads_to_the_dashboard(client):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [("/agent/", 302)]
    assert response.status_code == 200
    assert b'data-testid="presence"' in response.content


def test_a_user_who_is_not_an_agent_gets_a_clear_refusal():
    User.objects.create_user("dave", password=PASSWORD)
    response = logged_in("dave").get("/agent/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This account is not an agent" in html
    assert "dave" in html
    assert "dashboard.js" not in html


def test_an_agent_gets_the_dashboard_with_its_csrf_token_and_forward_list():
    client = logged_in("alice")
    response = client.get("/agent/")
    assert response.status_code == 200
    html = response.content.decode()
    token = client.cookies["csrftoken"].value
    assert token
    assert '<meta name="csrf-token" content="' in html
    assert "supportcall/dashboard.js" in html and 'type="module"' in html
    for testid in ("presence", "connection", "recent-calls", "result"):
        assert f'data-testid="{testid}"' in html
    config = page_config(response)
    assert config["identity"] == addr("alice")
    assert config["callsUrl"] == "/agent/calls.json"
    assert config["forwardTargets"] == [
        {"kind": "agent", "address": addr("bob"), "name": "bob"},
        {"kind": "agent", "address": addr("carol"), "name": "carol"},
        {"kind": "queue", "address": addr("billing"), "name": "billing"},
        {"kind": "queue", "address": addr("support"), "name": "support"},
    ]


def test_the_csrf_token_in_the_page_opens_an_agent_websocket_login():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="alice"))
    html = client.get("/agent/").content.decode()
    token = html.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/api/v1/agent-login", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content
    assert response.json()["identity"] == addr("alice")


def test_recent_calls_need_a_login():
    response = Client().get("/agent/calls.json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_recent_calls_refuse_users_who_are_not_agents():
    User.objects.create_user("dave", password=PASSWORD)
    response = logged_in("dave").get("/agent/calls.json")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "forbidden", "message": "dave is not an agent"}


def test_recent_calls_are_only_this_agents_calls_newest_first_with_how_each_ended():
    now = timezone.now()
    answered = now - timedelta(seconds=95)
    hung_up = a_call(
        "alice",
        LegStatus.ANSWERED,
        answered=answered,
        ended=answered + timedelta(seconds=65),
        ended_by="caller",
        end_reason="ended_by_local",
        phase="ended",
    )
    declined = a_call("alice", LegStatus.ENDED, "rejected", caller_display_name="")
    bobs = a_call("bob", LegStatus.ANSWERED, answered=now)
    response = logged_in("alice").get("/agent/calls.json")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    rows = response.json()["calls"]
    assert [r["id"] for r in rows] == [str(declined.id), str(hung_up.id)]
    assert str(bobs.id) not in response.content.decode()
    latest, first = rows
    assert latest["outcome"] == "rejected"
    assert latest["duration_s"] is None
    assert latest["caller"] == {"display_name": "", "address": "anonymous-1@support.example.com"}
    assert first["outcome"] == "ended_by_remote"
    assert first["duration_s"] == 65
    assert first["to"] == addr("support")
    assert first["media"] == "audio"
    assert first["context"] == {"order": "1042"}
    assert first["caller"]["display_name"] == "Ada"


@pytest.mark.parametrize(
    ("ended_by", "end_reason", "outcome"),
    [
        ("agent", "ended_by_remote", "ended_by_local"),
        ("caller", "ended_by_local", "ended_by_remote"),
        ("system", "connection_lost", "connection_lost"),
        # A lost connection's calls end in the lost party's name: still connection_lost.
        ("caller", "connection_lost", "connection_lost"),
        ("agent", "connection_lost", "connection_lost"),
    ],
)
def test_an_answered_call_ends_for_the_agent_the_other_way_round(ended_by, end_reason, outcome):
    now = timezone.now()
    a_call(
        "alice",
        LegStatus.ANSWERED,
        answered=now,
        ended=now,
        ended_by=ended_by,
        end_reason=end_reason,
        phase="ended",
    )
    [row] = logged_in("alice").get("/agent/calls.json").json()["calls"]
    assert row["outcome"] == outcome


def test_a_call_in_progress_and_a_call_still_ringing_say_so():
    in_progress = a_call("alice", LegStatus.ANSWERED, answered=timezone.now(), phase="answered")
    ringing = a_call("alice", LegStatus.RINGING, phase="ringing")
    rows = {r["id"]: r for r in logged_in("alice").get("/agent/calls.json").json()["calls"]}
    assert rows[str(in_progress.id)]["outcome"] == "in_call"
    assert rows[str(in_progress.id)]["duration_s"] == 0
    assert rows[str(ringing.id)]["outcome"] == "ringing"


def test_a_call_that_rang_an_agent_twice_is_one_row_with_its_latest_outcome():
    call = a_call("alice", LegStatus.ENDED, "ignored")
    Leg.objects.create(
        call=call,
        agent=Agent.objects.get(user__username="alice"),
        status=LegStatus.ENDED,
        reason="forwarded",
    )
    [row] = logged_in("alice").get("/agent/calls.json").json()["calls"]
    assert row["outcome"] == "forwarded"


def test_calls_json_gives_the_agents_queues_open_or_closed_and_who_waits():
    from supportcall.directory.models import ClosedDay, Queue

    support = Queue.objects.get(name="support")
    Queue.objects.filter(pk=support.pk).update(timezone="Europe/Paris")
    now = timezone.now()
    for seconds in (30, 12):
        Call.objects.create(
            site=Site.objects.get(key="shop"),
            caller_identity="anonymous-2@support.example.com",
            target=addr("support"),
            queue=support,
            media="audio",
            offer_sdp="v=0",
            phase="queued",
            queued_at=now - timedelta(seconds=seconds),
        )
    [queue] = logged_in("alice").get("/agent/calls.json").json()["queues"]
    assert queue == {
        "address": addr("support"),
        "name": "support",
        "open": True,
        "timezone": "Europe/Paris",
        "opens_at": None,
        "opens": None,
        "waiting": 2,
        "longest_wait_s": 30,
    }
    ClosedDay.objects.create(queue=support, date=now.astimezone(ZoneInfo("Europe/Paris")).date())
    [queue] = logged_in("alice").get("/agent/calls.json").json()["queues"]
    assert queue["open"] is False
    assert queue["opens"] == "tomorrow 0:00"
    # In the agent's language (the API's own texts stay English).
    german = logged_in("alice").get("/agent/calls.json", HTTP_ACCEPT_LANGUAGE="de")
    assert german.json()["queues"][0]["opens"] == "morgen 0:00"
    assert queue["opens_at"].endswith("+01:00") or queue["opens_at"].endswith("+02:00")


def test_a_rated_call_carries_the_visitors_stars_and_words_and_others_none():
    now = timezone.now()
    ended = {"answered": now, "ended": now, "ended_by": "caller", "phase": "ended"}
    rated = a_call(
        "alice", LegStatus.ANSWERED, rating=5, rating_comment="<b>great</b>", rated_at=now, **ended
    )
    unrated = a_call("alice", LegStatus.ANSWERED, **ended)
    declined = a_call("alice", LegStatus.ENDED, "rejected")
    rows = {r["id"]: r for r in logged_in("alice").get("/agent/calls.json").json()["calls"]}
    assert rows[str(rated.id)]["rating"] == {"stars": 5, "comment": "<b>great</b>"}
    assert rows[str(unrated.id)]["rating"] is None
    assert rows[str(declined.id)]["rating"] is None


def test_the_transfer_list_says_who_is_free_now():
    bob = Agent.objects.get(user__username="bob")
    Connection.objects.create(
        channel_name="bobs-tab", role="agent", identity=bob.address, agent=bob
    )
    response = logged_in("alice").get("/agent/targets.json")
    assert response.status_code == 200
    shown = {t["address"]: (t["free"], t.get("presence")) for t in response.json()["targets"]}
    assert shown == {
        addr("bob"): (True, "available"),
        addr("carol"): (False, "offline"),  # not connected
        addr("support"): (1, None),  # bob, not alice herself
        addr("billing"): (0, None),
    }

    Agent.objects.filter(pk=bob.pk).update(presence="away")
    again = logged_in("alice").get("/agent/targets.json").json()["targets"]
    assert [(t["free"], t.get("presence")) for t in again if t["address"] == addr("bob")] == [
        (False, "away")
    ]


def test_the_transfer_list_needs_an_agents_login():
    assert Client().get("/agent/targets.json").status_code == 401
    User.objects.create_user("dave", password=PASSWORD)
    assert logged_in("dave").get("/agent/targets.json").status_code == 403
