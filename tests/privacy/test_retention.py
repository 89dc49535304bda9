"""Retention (docs/privacy.md): each site keeps each kind of an ended call's data for its
own period, and the sweeper or `manage.py retention` removes what is older, in batches."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from supportcall.calls import sweeper
from supportcall.calls.figures import today
from supportcall.calls.models import Call, WrapUp
from supportcall.directory.models import Agent, Queue, Site
from supportcall.privacy import retention
from tests.privacy.records import VISITOR, a_call, personal
from tests.support.ws import sync

pytestmark = pytest.mark.usefixtures("directory")

EVERYTHING = {
    "identity": VISITOR,
    "name": "Ann",
    "context": {"page": "/cart"},
    "verified": None,
    "sdp": True,
    "chat": 1,
    "quality": 1,
    "actors": [VISITOR, "system"],
}


def policy(**days: int | None) -> Site:
    site = Site.objects.get(key="shop")
    for kind, value in days.items():
        setattr(site, f"keep_{kind}_days", value)
    site.save()
    return site


def test_a_site_keeps_everything_for_good_unless_it_sets_periods():
    call = a_call(ended_days_ago=3000)
    assert retention.preview(Site.objects.get(key="shop")) == {}
    assert retention.apply() == {}
    assert personal(call) == EVERYTHING


def test_each_kind_goes_after_its_own_period_and_the_preview_said_so():
    site = policy(calls=365, sdp=7, context=30, chat=30, quality=7)
    fresh, week, month, year = (a_call(days) for days in (1, 10, 40, 400))
    assert retention.preview(site) == {"calls": 1, "sdp": 3, "context": 2, "chat": 2, "quality": 3}

    removed = retention.apply()

    # The year-old call is gone (its chat, quality and events with it: counted as calls).
    assert removed == {"calls": 1, "sdp": 2, "context": 1, "chat": 1, "quality": 2}
    assert not Call.objects.filter(pk=year.pk).exists()
    assert personal(fresh) == EVERYTHING
    assert personal(week) == {**EVERYTHING, "sdp": False, "quality": 0}
    assert personal(month) == {
        **EVERYTHING,
        "name": "",
        "context": {},
        "sdp": False,
        "chat": 0,
        "quality": 0,
    }
    assert retention.preview(site) == {"calls": 0, "sdp": 0, "context": 0, "chat": 0, "quality": 0}
    assert retention.apply() == {"calls": 0, "sdp": 0, "context": 0, "chat": 0, "quality": 0}


def test_a_call_in_progress_is_never_touched_whatever_the_periods():
    policy(calls=0, sdp=0, context=0, chat=0, quality=0, files=0)
    going = a_call(ended_days_ago=None)
    Call.objects.filter(pk=going.pk).update(created=timezone.now().replace(year=2020))
    retention.apply()
    assert personal(going) == EVERYTHING


def test_a_call_whose_agent_is_in_its_after_call_work_stays_until_the_wrap_up_ends():
    policy(calls=0)
    call = a_call(ended_days_ago=1)
    alice = Agent.objects.get(user__username="alice")
    wrap = WrapUp.objects.create(agent=alice, call=call, started=timezone.now())
    assert retention.apply() == {"calls": 0}
    wrap.delete()
    assert retention.apply() == {"calls": 1}


def test_it_removes_in_batches_until_nothing_is_left():
    site = policy(chat=1)
    for _ in range(5):
        a_call(ended_days_ago=2)
    assert retention.apply(batch=2, batches=1) == {"chat": 2}
    assert retention.apply(batch=2, batches=1) == {"chat": 2}
    assert retention.apply(batch=2, batches=1) == {"chat": 1}
    assert retention.apply(batch=2, batches=1) == {"chat": 0}
    assert retention.preview(site) == {"chat": 0}


def test_scrubbing_leaves_the_figures_as_they_were_and_deleting_records_empties_old_days():
    queue = Queue.objects.get(name="support")
    now = timezone.now().replace(hour=12)  # the call is of today, whatever the hour
    a_call(ended_days_ago=0, now=now)
    before = today(queue, now)
    assert before["answered"] == 1
    policy(sdp=0, context=0, chat=0, quality=0)
    retention.apply(now=now)
    assert today(queue, now) == before
    policy(calls=0)
    retention.apply(now=now + timedelta(seconds=1))
    assert today(queue, now)["offered"] == 0  # the record itself is gone: so is the count


def test_the_command_shows_then_removes_and_refuses_an_unknown_site():
    policy(quality=1)
    call = a_call(ended_days_ago=5)
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "shop: would remove quality 1" in out.getvalue()
    assert "other: would remove kept for good" in out.getvalue()
    assert personal(call)["quality"] == 1
    out = StringIO()
    call_command("retention", "--site", "shop", stdout=out)
    assert out.getvalue() == "shop: removed quality 1\n"
    assert personal(call)["quality"] == 0
    with pytest.raises(CommandError, match="no site with the key 'nowhere'"):
        call_command("retention", "--site", "nowhere")


def test_the_site_page_shows_what_the_policy_removes_and_takes_the_periods(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    site = policy(sdp=7)
    a_call(ended_days_ago=10)
    page = client.get(reverse("admin:directory_site_change", args=[site.pk]))
    assert page.status_code == 200
    assert "SDP and ICE candidates: 1" in page.content.decode()
    assert reverse("admin:directory_site_erase", args=[site.pk]) in page.content.decode()
    assert 'name="keep_files_days"' in page.content.decode()


async def test_the_running_sweeper_applies_the_sites_periods_now_and_then(monkeypatch):
    monkeypatch.setattr(sweeper, "PRUNE_INTERVAL", 0.05)
    await sync(policy)(chat=1)
    call = await sync(a_call)(ended_days_ago=2)
    task = asyncio.create_task(sweeper.run(0.02, serving=False))
    try:
        for _ in range(500):  # up to 10 s on a busy machine; it takes about 0.1 s
            if (await sync(personal)(call))["chat"] == 0:
                break
            await asyncio.sleep(0.02)
        assert (await sync(personal)(call))["chat"] == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
