"""Erasure (docs/privacy.md): one visitor's data goes, by address or verified sub, from
the admin or `manage.py erase_visitor`; the call rows the figures count stay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.figures import today
from supportcall.directory.models import Queue, Site
from supportcall.privacy.erasure import Visitor, erase, erased, plan
from supportcall.privacy.models import Erasure
from supportcall.tokens.models import IssuedToken
from tests.privacy.records import OTHER, VISITOR, a_call, kept, personal

pytestmark = pytest.mark.usefixtures("directory")

SUB = {"sub": "user-42", "name": "Ann Example", "email": "ann@example.com", "attributes": {}}
GONE = {
    "identity": "erased@support.example.com",
    "name": "",
    "context": {},
    "verified": None,
    "sdp": False,
    "chat": 0,
    "quality": 0,
    "actors": ["erased@support.example.com", "system"],
}


def a_token(identity: str, expired: bool, verified: dict | None = None) -> IssuedToken:
    now = timezone.now()
    return IssuedToken.objects.create(
        role="visitor",
        identity=identity,
        site=Site.objects.get(key="shop"),
        display_name="Ann",
        verified=verified,
        issued=now - timedelta(minutes=5),
        expires=now - timedelta(minutes=4) if expired else now + timedelta(minutes=1),
    )


def test_erasing_by_address_scrubs_the_visitor_and_keeps_what_the_figures_count():
    queue = Queue.objects.get(name="support")
    now = timezone.now().replace(hour=12)  # both calls of today, whatever the hour
    mine = [a_call(ended_days_ago=0, now=now), a_call(ended_days_ago=0.01, now=now)]
    theirs = a_call(ended_days_ago=0, identity=OTHER, now=now)
    CallbackRequest.objects.create(
        site=mine[0].site, queue=queue, call=mine[0], name="Ann", phone="+4930123", note="asap"
    )
    expired_token, live_token = a_token(VISITOR, expired=True), a_token(VISITOR, expired=False)
    before, times, untouched = today(queue, now), [kept(c) for c in mine], personal(theirs)
    visitor = Visitor(Site.objects.get(key="shop"), identity=VISITOR)
    expected = {
        "sdp": 2,
        "context": 2,
        "files": 0,  # tests/calls/test_chat_files.py erases a visitor's files
        "chat": 2,
        "quality": 2,
        "identity": 2,
        "events": 2,
        "callbacks": 1,
        "tokens": 1,
    }
    assert plan(visitor).counts == expected

    record = erase(visitor, by="root")

    assert [personal(c) for c in mine] == [GONE, GONE]
    assert [kept(c) for c in mine] == times
    assert today(queue, now) == before
    assert personal(theirs) == untouched
    callback = CallbackRequest.objects.get()
    assert (callback.name, callback.phone, callback.note, callback.call_id) == (
        "",
        "",
        "",
        mine[0].pk,
    )
    assert not IssuedToken.objects.filter(pk=expired_token.pk).exists()
    assert IssuedToken.objects.filter(pk=live_token.pk).exists()  # it may carry a live call
    # The log says who, when and how much; never whom.
    assert (record.by, record.matched_by, record.counts) == ("root", "identity", expected)
    assert VISITOR not in str(Erasure.objects.values().get())
    assert plan(visitor).counts == dict.fromkeys(expected, 0)  # nothing left to find


def test_erasing_by_sub_finds_the_verified_visitor_on_that_site_only():
    mine = a_call(ended_days_ago=1, identity="visitor-1@support.example.com", verified=SUB)
    again = a_call(ended_days_ago=2, identity="visitor-2@support.example.com", verified=SUB)
    elsewhere = a_call(ended_days_ago=1, verified=SUB, site="other")
    untouched = personal(elsewhere)
    record = erase(Visitor(Site.objects.get(key="shop"), sub="user-42"), by="root")
    assert (record.matched_by, record.counts["identity"], record.counts["context"]) == ("sub", 2, 2)
    assert personal(mine) == personal(again) == GONE
    assert personal(elsewhere) == untouched


def test_a_call_in_progress_is_never_touched_and_is_counted_as_left():
    done, going = a_call(ended_days_ago=1), a_call(ended_days_ago=None)
    untouched = personal(going)
    visitor = Visitor(None, identity=VISITOR)
    assert plan(visitor).in_progress == 1
    record = erase(visitor, by="root")
    assert record.skipped_in_progress == 1
    assert personal(done) == GONE
    assert personal(going) == untouched


def test_a_visitor_is_its_address_or_its_sub_never_both_nor_neither():
    for who in ({}, {"identity": VISITOR, "sub": "user-42"}):
        with pytest.raises(ValueError, match="identity or its sub, not both"):
            Visitor(None, **who)


def test_the_admin_asks_then_shows_what_goes_then_erases_and_logs_who(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    call = a_call(ended_days_ago=1)
    site = Site.objects.get(key="shop")
    url = reverse("admin:directory_site_erase", args=[site.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"identity": "", "sub": ""})
    assert "address or its sub, not both" in refused.content.decode()
    shown = client.post(url, {"identity": VISITOR})
    assert "chat messages: 1" in shown.content.decode()
    assert 'name="confirm" value="yes"' in shown.content.decode()
    assert personal(call)["chat"] == 1 and not Erasure.objects.exists()  # only shown
    done = client.post(url, {"identity": VISITOR, "confirm": "yes"})
    assert done.status_code == 302
    assert personal(call) == GONE
    assert Erasure.objects.get().by == "root"
    assert client.get("/admin/privacy/erasure/").status_code == 200


def test_the_admin_erase_page_is_for_those_who_may_change_sites(client):
    staff = User.objects.create_user("clerk", "", "pw", is_staff=True)
    client.force_login(staff)
    site = Site.objects.get(key="shop")
    response = client.post(
        reverse("admin:directory_site_erase", args=[site.pk]),
        {"identity": VISITOR, "confirm": "yes"},
    )
    assert response.status_code == 403
    assert not Erasure.objects.exists()


def test_the_command_shows_without_yes_erases_with_it_and_refuses_bad_input():
    call = a_call(ended_days_ago=1)
    out = StringIO()
    call_command("erase_visitor", "--identity", VISITOR, stdout=out)
    assert out.getvalue().startswith("would erase sdp 1, context 1, files 0, chat 1, quality 1")
    assert personal(call)["chat"] == 1
    out = StringIO()
    call_command("erase_visitor", "--identity", VISITOR, "--site", "shop", "--yes", stdout=out)
    assert "erased sdp 1" in out.getvalue()
    assert personal(call) == GONE
    assert Erasure.objects.get().by == "command"
    assert erased() == "erased@support.example.com"
    with pytest.raises(CommandError, match="no site with the key 'nowhere'"):
        call_command("erase_visitor", "--sub", "x", "--site", "nowhere")
    with pytest.raises(CommandError, match="non-empty"):
        call_command("erase_visitor", "--sub", " ")
    with pytest.raises(CommandError, match="one of the arguments --identity --sub is required"):
        call_command("erase_visitor")
