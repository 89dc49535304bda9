"""The lists: every filter, cursor pages walked to the end without gaps or repeats, and
every bad parameter refused with 400 naming it and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.models import Call, Disposition
from supportcall.directory.models import Agent, Queue, Site
from tests.privacy.records import a_call
from tests.support.queries import queries

pytestmark = pytest.mark.usefixtures("directory")

WRONG_TIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def ids(answer: dict) -> list[str]:
    return [record["id"] for record in answer["results"]]


@pytest.fixture
def calls():
    """Five calls of site 'shop' a day apart, newest first, each different in one way, and
    one of site 'other' the key must never see."""
    now = timezone.now()
    made = [a_call(days, now=now) for days in (1, 2, 3, 4)]
    made.append(a_call(None, now=now - timedelta(days=5)))  # still answered
    bob = Agent.objects.get(user__username="bob")
    Call.objects.filter(pk=made[1].pk).update(agent=bob)
    Call.objects.filter(pk=made[2].pk).update(end_reason="no_answer", agent=None, answered=None)
    billing = Queue.objects.get(name="billing")
    Call.objects.filter(pk=made[3].pk).update(
        queue=billing, disposition=Disposition.objects.create(label="Refund")
    )
    a_call(1, site="other")
    return [str(c.pk) for c in made]


def test_the_list_is_newest_first_with_each_calls_summary(api, calls):
    answer = api.get("calls")
    assert ids(answer) == calls and (answer["next"], answer["previous"]) == (None, None)
    first = answer["results"][0]
    call = Call.objects.get(pk=calls[0])
    assert first == {
        "id": calls[0],
        "site": "shop",
        "to": "support@" + call.target.split("@")[1],
        "queue": call.target,
        "media": "audio",
        "status": "ended",
        "caller": {"identity": call.caller_identity, "display_name": "Ann"},
        "agent": {"address": call.agent.address, "name": call.agent.name},
        "created": call.created.isoformat().replace("+00:00", "Z"),
        "answered": call.answered.isoformat().replace("+00:00", "Z"),
        "ended": call.ended.isoformat().replace("+00:00", "Z"),
        "outcome": "ended_by_local",
        "ended_by": "caller",
        "disposition": None,
        "wait_seconds": 5.0,
        "talk_seconds": 60.0,
    }


def test_each_filter_keeps_only_its_calls(api, calls):
    day = timedelta(days=1)
    now = timezone.now()
    iso = lambda t: t.isoformat()  # noqa: E731
    domain = Call.objects.get(pk=calls[0]).target.split("@")[1]
    assert ids(api.get("calls", since=iso(now - 2.5 * day))) == calls[:2]
    assert ids(api.get("calls", until=iso(now - 2.5 * day))) == calls[2:]
    assert (
        ids(api.get("calls", since=iso(now - 3.5 * day), until=iso(now - 1.5 * day)))
        == (calls[1:3])
    )
    assert ids(api.get("calls", queue="billing")) == [calls[3]]
    assert ids(api.get("calls", queue=f"billing@{domain}")) == [calls[3]]
    assert ids(api.get("calls", agent="bob")) == [calls[1]]
    assert ids(api.get("calls", agent=f"alice@{domain}")) == [calls[0], calls[3], calls[4]]
    assert ids(api.get("calls", outcome="no_answer")) == [calls[2]]
    assert ids(api.get("calls", outcome="ended_by_local")) == [calls[0], calls[1], calls[3]]
    assert ids(api.get("calls", disposition="Refund")) == [calls[3]]
    assert ids(api.get("calls", status="answered")) == [calls[4]]
    assert ids(api.get("calls", status="ended", agent="alice")) == [calls[0], calls[3]]
    assert ids(api.get("calls", site="shop")) == calls
    assert ids(api.get("calls", queue="nosuchqueue")) == []
    assert ids(api.get("calls", agent="nobody")) == []


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_walking_the_pages_gives_every_call_once_in_order(api, settings, size):
    now = timezone.now()
    made = [a_call(i / 10, now=now) for i in range(1, 8)]
    # Two calls created at the very same moment still come once each.
    Call.objects.filter(pk=made[3].pk).update(created=made[2].created)
    expected = list(
        Call.objects.filter(site__key="shop")
        .order_by("-created", "-pk")
        .values_list("pk", flat=True)
    )
    seen: list[str] = []
    answer = api.get("calls", page_size=size)
    pages = 1
    while True:
        assert len(answer["results"]) <= size
        seen += ids(answer)
        if answer["next"] is None:
            break
        assert answer["next"].startswith("http://testserver/api/v1/calls?")
        path = answer["next"].removeprefix("http://testserver/api/v1/")
        answer = api.get(path)
        pages += 1
    assert seen == [str(pk) for pk in expected]
    assert pages == -(-len(expected) // size)


def test_the_page_size_defaults_to_the_setting(api, settings):
    settings.SUPPORTCALL_API_PAGE_SIZE = 2
    for days in (1, 2, 3):
        a_call(days)
    answer = api.get("calls")
    assert len(answer["results"]) == 2 and answer["next"] is not None


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"since": "yesterday"}, {"since": [WRONG_TIME]}),
        ({"until": "2026-13-40"}, {"until": [WRONG_TIME]}),
        (
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            {"until": ["Must be later than since."]},
        ),
        ({"status": "sleeping"}, {"status": ['"sleeping" is not a valid choice.']}),
        ({"outcome": "<b>x</b>"}, {"outcome": ['"<b>x</b>" is not a valid choice.']}),
        ({"queue": "q" * 255}, {"queue": ["Ensure this field has no more than 254 characters."]}),
        ({"agent": ""}, {"agent": ["This field may not be blank."]}),
        ({"page_size": "0"}, {"page_size": ["A whole number from 1 to 200."]}),
        ({"page_size": "201"}, {"page_size": ["A whole number from 1 to 200."]}),
        ({"page_size": "ten"}, {"page_size": ["A whole number from 1 to 200."]}),
        ({"cursor": "not-a-cursor"}, {"cursor": ["Not a cursor this API gave."]}),
        (
            {"sort": "name", "limit": "5"},
            {"limit": ["Not a filter of this list."], "sort": ["Not a filter of this list."]},
        ),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it_and_why(api, params, errors):
    answer = api.get("calls", 400, **params)
    assert answer == {
        "error": "bad_request",
        "message": "Bad filters: " + ", ".join(errors) + ".",
        "filters": errors,
    }


def test_calls_only_filters_are_refused_on_callback_requests(api):
    answer = api.get("callback-requests", 400, outcome="no_answer", disposition="x")
    assert answer["filters"] == {
        "disposition": ["Not a filter of this list."],
        "outcome": ["Not a filter of this list."],
    }


@pytest.fixture
def callbacks():
    now = timezone.now()
    shop, other = Site.objects.get(key="shop"), Site.objects.get(key="other")
    support, billing = Queue.objects.get(name="support"), Queue.objects.get(name="billing")
    alice = Agent.objects.get(user__username="alice")
    missed = a_call(3)
    rows = [
        CallbackRequest.objects.create(site=shop, queue=support, name="Ann", phone="+4930123"),
        CallbackRequest.objects.create(
            site=shop,
            queue=support,
            name="Ben",
            email="ben@example.com",
            status="claimed",
            claimed_by=alice,
            claimed=now,
            call=missed,
        ),
        CallbackRequest.objects.create(site=shop, queue=billing, name="Cem", status="done"),
    ]
    CallbackRequest.objects.create(site=other, queue=billing, name="Dee")
    for age, row in zip((3, 2, 1), rows, strict=True):
        CallbackRequest.objects.filter(pk=row.pk).update(created=now - timedelta(days=age))
    return [r.pk for r in reversed(rows)], missed


def test_callback_requests_list_with_every_filter(api, callbacks):
    (cem, ben, ann), missed = callbacks
    now = timezone.now()
    assert ids(api.get("callback-requests")) == [cem, ben, ann]
    assert ids(api.get("callback-requests", status="claimed")) == [ben]
    assert ids(api.get("callback-requests", agent="alice")) == [ben]
    assert ids(api.get("callback-requests", queue="billing")) == [cem]
    assert ids(api.get("callback-requests", since=(now - timedelta(days=2.5)).isoformat())) == [
        cem,
        ben,
    ]
    assert ids(api.get("callback-requests", until=(now - timedelta(days=2.5)).isoformat())) == [ann]
    assert ids(api.get("callback-requests", site="other")) == []
    assert ids(api.get("callback-requests", page_size=2)) == [cem, ben]
    record = api.get(f"callback-requests/{ben}")
    assert {k: v for k, v in record.items() if k not in ("created", "claimed")} == {
        "id": ben,
        "site": "shop",
        "queue": Queue.objects.get(name="support").address,
        "missed_call": str(missed.pk),
        "name": "Ben",
        "phone": "",
        "email": "ben@example.com",
        "note": "",
        "context": {},
        "status": "claimed",
        "claimed_by": Agent.objects.get(user__username="alice").address,
        "done": None,
    }
    other = CallbackRequest.objects.get(name="Dee")
    assert api.get(f"callback-requests/{other.pk}", 404)["error"] == "not_found"


def test_a_page_costs_the_same_queries_whatever_its_length(api, monkeypatch):
    a_call(1)
    api.get("calls")  # the key's first use also notes it (last_used_at)
    with queries(monkeypatch) as one:
        api.get("calls")
    for days in range(2, 12):
        a_call(days)
    with queries(monkeypatch) as eleven:
        assert len(api.get("calls")["results"]) == 11
    assert len(eleven) == len(one)
