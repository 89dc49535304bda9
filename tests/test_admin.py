"""Admins run everything from the Django admin: every page of ours renders."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from supportcall.calls import operations
from supportcall.calls.change import Actor
from supportcall.calls.models import Call
from supportcall.directory.models import Site
from supportcall.vocabulary import Role
from tests.support.sdps import OFFER

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def a_call() -> Call:
    actor = Actor(
        role=Role.VISITOR,
        identity="anonymous-1@support.example.com",
        channel="c1",
        site_id=Site.objects.get(key="shop").pk,
        targets=("support@support.example.com",),
    )
    outcome = operations.create_call(actor, media="audio", sdp=OFFER["audio"])
    return Call.objects.get(id=outcome.result["call_id"])


@pytest.mark.parametrize(
    "model",
    [
        "directory/site",
        "directory/queue",
        "directory/agent",
        "calls/call",
        "calls/connection",
        "tokens/issuedtoken",
        "callbacks/callbackrequest",
    ],
)
def test_every_changelist_renders(admin_client, model):
    a_call()
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200


def test_a_call_record_shows_its_timeline(admin_client):
    call = a_call()
    response = admin_client.get(reverse("admin:calls_call_change", args=[call.pk]))
    assert response.status_code == 200
    assert b"no_agents" in response.content
    assert b"create" in response.content


def test_call_events_are_append_only():
    call = a_call()
    event = call.events.first()
    event.name = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_the_index_page_renders_with_its_stylesheet(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"supportcall/site.css" in response.content


def test_a_queue_is_set_up_with_strategy_hours_and_closed_days(admin_client):
    from supportcall.directory.models import Queue

    queue = Queue.objects.get(name="support")
    response = admin_client.get(reverse("admin:directory_queue_change", args=[queue.pk]))
    assert response.status_code == 200
    for text in (
        b"strategy",
        b"ring_timeout",
        b"max_wait",
        b"wait_when_empty",
        b"timezone",
        b"hours-TOTAL_FORMS",
        b"closed_days-TOTAL_FORMS",
    ):
        assert text in response.content
