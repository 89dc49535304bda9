"""Callback requests: left by visitors, claimed and finished by agents."""

import pytest
from django.test import Client

from supportcall.callbacks import services
from supportcall.callbacks.models import CallbackRequest
from supportcall.directory.models import Agent
from supportcall.http import HttpError
from tests.support.ws import SHOP

pytestmark = pytest.mark.usefixtures("directory")


def leave(body, origin=SHOP):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().post(
        "/api/v1/callbacks", {"site": "shop", **body}, content_type="application/json", **headers
    )


def agent(name):
    return Agent.objects.get(user__username=name)


def test_a_visitor_leaves_a_callback_request():
    response = leave(
        {
            "name": "Ada",
            "phone": "+33 6 12 34 56 78",
            "note": "about my order",
            "context": {"page": "/cart"},
        }
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == SHOP
    request = CallbackRequest.objects.get(pk=response.json()["id"])
    assert (request.name, request.phone, request.status, request.queue.name) == (
        "Ada",
        "+33 6 12 34 56 78",
        "open",
        "support",
    )
    assert request.context == {"page": "/cart"}


def test_an_email_is_enough():
    assert leave({"name": "Ada", "email": "ada@example.com"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "Ada"}, "phone number or an email"),
        ({"phone": "+331234567"}, "'name' is required"),
        ({"name": "Ada", "phone": "call me maybe"}, "does not look like a phone number"),
        ({"name": "Ada", "email": "not-an-email"}, "is not an email address"),
        ({"name": "Ada", "email": "a@b.co", "note": "x" * 1001}, "longer than 1000"),
        ({"name": "x" * 101, "email": "a@b.co"}, "longer than 100"),
        ({"name": 5, "email": "a@b.co"}, "must be a string"),
        ({"name": "Ada", "email": "a@b.co", "call_id": "nope"}, "not a call id"),
        ({"name": "Ada", "email": "a@b.co", "context": {"a": 1}}, "flat object"),
        # The same bounds as a login's context: the inbox shows it to every agent.
        (
            {"name": "Ada", "email": "a@b.co", "context": {f"k{i}": "v" for i in range(21)}},
            "at most 20",
        ),
        ({"name": "Ada", "email": "a@b.co", "context": {"k" * 65: "v"}}, "longer than 64"),
        ({"name": "Ada", "email": "a@b.co", "context": {"k": "v" * 501}}, "longer than 500"),
        # Text that the database could not store, or that no name contains.
        ({"name": "Ada\ud800", "email": "a@b.co"}, "not valid Unicode"),
        ({"name": "Ada\x00", "email": "a@b.co"}, "control characters"),
        ({"name": "Ada\nLovelace", "email": "a@b.co"}, "control characters"),
        ({"name": "Ada", "email": "a@b.co", "note": "call\x1b[2J"}, "control characters"),
        ({"name": "Ada", "email": "a@b.co", "context": {"\udfff": "v"}}, "not valid Unicode"),
        ({"name": "Ada", "email": "a@b.co", "context": {"k": "\x00"}}, "control characters"),
    ],
)
def test_a_bad_callback_request_is_refused_and_nothing_is_stored(body, message):
    response = leave(body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not CallbackRequest.objects.exists()


def test_a_note_may_have_several_lines():
    response = leave({"name": "Ada", "email": "a@b.co", "note": "after 5pm\n\tnot Mondays"})
    assert response.status_code == 201
    assert CallbackRequest.objects.get().note == "after 5pm\n\tnot Mondays"


def test_an_unknown_queue_is_not_found():
    response = leave({"name": "Ada", "email": "a@b.co", "queue": "billing"})
    assert response.status_code == 404
    assert not CallbackRequest.objects.exists()


def test_an_origin_the_site_does_not_allow_is_forbidden():
    response = leave({"name": "Ada", "email": "a@b.co"}, origin="http://evil.test")
    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == "http://evil.test"  # it may read why
    assert not CallbackRequest.objects.exists()


def test_an_agent_claims_a_request_and_another_cannot_take_it():
    request = services.leave(
        agent("alice").queues.get().sites.get(), {"name": "Ada", "email": "a@b.co"}
    )
    assert [r.pk for r in services.inbox(agent("alice"))] == [request.pk]
    services.claim(agent("alice"), request.pk)
    with pytest.raises(HttpError, match="already took"):
        services.claim(agent("bob"), request.pk)
    with pytest.raises(HttpError, match="another agent"):
        services.finish(agent("bob"), request.pk)
    done = services.finish(agent("alice"), request.pk)
    assert (done.status, done.claimed_by.user.username) == ("done", "alice")
    assert services.inbox(agent("alice")) == []


def test_agents_only_see_requests_of_their_queues():
    request = services.leave(
        agent("alice").queues.get().sites.get(), {"name": "Ada", "email": "a@b.co"}
    )
    assert services.inbox(agent("carol")) == []
    with pytest.raises(HttpError, match="no callback request"):
        services.claim(agent("carol"), request.pk)


def logged_in(username):
    client = Client()
    client.force_login(agent(username).user)
    return client


def test_the_inbox_endpoint_lists_the_agents_requests_and_claims_them():
    leave({"name": "Ada", "email": "a@b.co"})
    alice = logged_in("alice")
    listing = alice.get("/api/v1/agent/callbacks").json()["callbacks"]
    assert [(c["name"], c["status"]) for c in listing] == [("Ada", "open")]
    claimed = alice.post(f"/api/v1/agent/callbacks/{listing[0]['id']}/claim")
    assert claimed.json()["claimed_by"] == "alice@support.example.com"
    bob = logged_in("bob").post(f"/api/v1/agent/callbacks/{listing[0]['id']}/claim")
    assert bob.status_code == 403
    done = alice.post(f"/api/v1/agent/callbacks/{listing[0]['id']}/done")
    assert done.json()["status"] == "done"
    assert alice.get("/api/v1/agent/callbacks").json()["callbacks"] == []


def test_the_inbox_endpoint_refuses_strangers():
    assert Client().get("/api/v1/agent/callbacks").status_code == 401
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("mallory"))
    assert client.get("/api/v1/agent/callbacks").status_code == 403
    assert logged_in("alice").post("/api/v1/agent/callbacks/1/steal").status_code == 404


def test_the_supervisor_view_is_for_staff_only():
    assert Client().get("/api/v1/supervisor").status_code == 401
    assert logged_in("alice").get("/api/v1/supervisor").status_code == 403
    staff = agent("bob").user
    staff.is_staff = True
    staff.save()
    body = logged_in("bob").get("/api/v1/supervisor").json()
    assert {q["name"] for q in body["queues"]} == {"support", "billing"}
    assert {a["address"]: a["presence"] for a in body["agents"]} == {
        "alice@support.example.com": "offline",
        "bob@support.example.com": "offline",
        "carol@support.example.com": "offline",
    }


def test_the_inbox_comes_a_page_at_a_time_and_says_how_many_wait(settings):
    site = agent("alice").queues.get().sites.get()
    left = [services.leave(site, {"name": f"Caller {i}", "email": "a@b.co"}).pk for i in range(7)]
    services.claim(agent("bob"), left[0])
    alice = logged_in("alice")
    first = alice.get("/api/v1/agent/callbacks?limit=3").json()
    assert [c["id"] for c in first["callbacks"]] == left[:3]
    assert (first["next"], first["open"]) == (str(left[2]), 6)
    second = alice.get(f"/api/v1/agent/callbacks?limit=3&after={first['next']}").json()
    assert [c["id"] for c in second["callbacks"]] == left[3:6]
    last = alice.get(f"/api/v1/agent/callbacks?limit=3&after={second['next']}").json()
    assert ([c["id"] for c in last["callbacks"]], last["next"]) == (left[6:], None)


def test_the_inbox_page_is_bounded_by_default(monkeypatch):
    monkeypatch.setattr(services, "INBOX_PAGE", 4)
    site = agent("alice").queues.get().sites.get()
    for i in range(6):
        services.leave(site, {"name": f"Caller {i}", "email": "a@b.co"})
    page = logged_in("alice").get("/api/v1/agent/callbacks").json()
    assert len(page["callbacks"]) == 4 and page["next"] is not None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=ten", "limit=²", "after=-1", "after=" + "9" * 5000]
)
def test_a_bad_inbox_page_is_a_bad_request(query):
    response = logged_in("alice").get(f"/api/v1/agent/callbacks?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
