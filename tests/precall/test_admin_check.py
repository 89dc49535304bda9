"""The call record in the admin shows the caller's check before the call in words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from supportcall.calls import operations
from supportcall.calls.change import Actor
from supportcall.calls.models import Call
from supportcall.directory.models import Site
from supportcall.vocabulary import Role
from tests.support.sdps import OFFER

pytestmark = pytest.mark.usefixtures("directory")


def a_call(**fields) -> Call:
    actor = Actor(
        role=Role.VISITOR,
        identity="anonymous-1@support.example.com",
        channel="c1",
        site_id=Site.objects.get(key="shop").pk,
        targets=("support@support.example.com",),
    )
    outcome = operations.create_call(actor, media="audio", sdp=OFFER["audio"], **fields)
    return Call.objects.get(id=outcome.result["call_id"])


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def test_the_call_record_shows_a_blocked_check_in_words(admin_client):
    call = a_call(check={"connected": False})
    page = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    assert "Check before the call" in page
    assert "We could not reach them: their network blocks calls" in page


def test_the_call_record_shows_a_good_check_with_its_figures(admin_client):
    check = {"connected": True, "candidate_type": "host", "rtt_ms": 12.4, "loss_pct": 0.5}
    call = a_call(check=check)
    page = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    assert "Good to go; path: host; round trip 12 ms; loss 0.5 %" in page


def test_the_call_record_shows_the_check_in_the_admins_language(admin_client):
    call = a_call(check={"connected": True, "candidate_type": "relay"})
    with translation.override("de"):
        page = admin_client.get(
            reverse("admin:calls_call_change", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="de"
        ).content.decode()
    assert "Sein Netzwerk funktioniert nur über unser Relay; Weg: relay" in page
