"""Missed calls from the widget to the dashboard's inbox, and the team view for staff."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, host_page, tid, wait_true
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

QUEUE = (
    "from supportcall.directory.models import Queue, ClosedDay;"
    "q = Queue.objects.get(name='support');"
)


@pytest.fixture
def clean(web):
    """Leave the demo line open, without requests, and bob not staff, after each test."""
    yield
    django_shell(
        web.env,
        QUEUE + "ClosedDay.objects.all().delete();"
        "from supportcall.callbacks.models import CallbackRequest;"
        "CallbackRequest.objects.all().delete();"
        "from django.contrib.auth.models import User;"
        "User.objects.filter(username='bob').update(is_staff=False)",
    )


async def alice_and_staff_bob_away(web, dashboards, staff_only: str):
    """Alice's dashboard, without the staff-only section; staff Bob's, set away (so that
    calls ring Alice)."""
    django_shell(
        web.env,
        "from django.contrib.auth.models import User;"
        "User.objects.filter(username='bob').update(is_staff=True)",
    )
    alice = await dashboards("alice")
    await expect(alice.get_by_test_id(staff_only)).to_have_count(0)  # not staff
    bob = await dashboards("bob")
    await bob.get_by_test_id("presence").select_option("away")
    return alice, bob


async def ada_with_alice_and_bea_waiting(alice, visitors):
    """Ada in a call Alice answered, then Bea waiting in the queue (nobody else is free)."""
    ada = await (await visitors()).call(media="audio")
    card = alice.locator(f'[data-testid=incoming][data-call-id="{ada.call_id}"]')
    await card.get_by_test_id("accept-audio").click()
    await ada.wait_for_state("in_call", timeout=10)
    bea = await (await visitors(display_name="Bea")).call(media="audio")
    await bea.wait_for_state("queued", timeout=10)
    return ada, bea


async def test_a_callback_left_in_the_widget_is_claimed_and_done_in_the_dashboard(
    web,
    chromium,
    dashboards,
    clean,
):
    django_shell(
        web.env,
        QUEUE + "from django.utils import timezone;"
        "ClosedDay.objects.create(queue=q, date=timezone.localdate())",
    )
    visitor = await host_page(web, chromium, "callback.html")
    await expect(tid(visitor, "call-button")).to_contain_text("Closed", timeout=WAIT_MS)
    await tid(visitor, "call-button").click()
    await tid(visitor, "callback-offer").click()
    await tid(visitor, "callback-name").fill("Ada Lovelace")
    await tid(visitor, "callback-email").fill("ada@example.com")
    await tid(visitor, "callback-note").fill("My order 1042 never arrived")
    await tid(visitor, "callback-submit").click()
    await expect(tid(visitor, "callback-done")).to_be_visible(timeout=WAIT_MS)

    alice = await dashboards("alice")
    request = alice.get_by_test_id("callback")
    await expect(request).to_have_count(1, timeout=WAIT_MS)
    await expect(request).to_contain_text("Ada Lovelace")
    await expect(request).to_contain_text("ada@example.com")
    await expect(request).to_contain_text("My order 1042 never arrived")
    await expect(request).to_have_attribute("data-status", "open")
    await expect(alice.locator("#missed-note")).to_have_text("1 waiting")

    bob = await dashboards("bob")
    await request.get_by_test_id("callback-claim").click()
    await expect(request).to_have_attribute("data-status", "claimed", timeout=WAIT_MS)
    await expect(request).to_contain_text("taken by you")
    # Bob sees who took it, and cannot take it or finish it.
    at_bob = bob.get_by_test_id("callback")
    await bob.reload()
    await expect(at_bob).to_contain_text("taken by alice", timeout=WAIT_MS)
    await expect(at_bob.get_by_test_id("callback-claim")).to_have_count(0)
    await expect(at_bob.get_by_test_id("callback-done")).to_have_count(0)
    await request.get_by_test_id("callback-done").click()
    await expect(alice.get_by_test_id("callback")).to_have_count(0, timeout=WAIT_MS)
    await expect(alice.locator("#missed-empty")).to_be_visible()


async def test_staff_see_the_team_with_waiting_calls_and_who_is_on_a_call(
    web,
    dashboards,
    visitors,
    clean,
):
    alice, bob = await alice_and_staff_bob_away(web, dashboards, "supervisor")
    team = bob.get_by_test_id("supervisor")
    await expect(team).to_be_visible()
    ada, bea = await ada_with_alice_and_bea_waiting(alice, visitors)
    waiting = team.locator(f'[data-testid=team-waiting][data-call-id="{bea.call_id}"]')
    await expect(waiting).to_contain_text("Bea", timeout=WAIT_MS)
    await expect(waiting).to_contain_text("waiting")
    at_alice = team.locator('[data-testid=team-agent][data-agent="alice@support.example.com"]')
    await expect(at_alice).to_have_attribute("data-presence", "busy", timeout=WAIT_MS)
    await expect(at_alice).to_contain_text("With Ada")
    # The call's live quality: the caller's newest report (dated ahead, so that the Python
    # visitor's own reports stay older) is poor and warns.
    django_shell(
        web.env,
        "import datetime; from django.utils import timezone;"
        "from supportcall.quality.models import Sample;"
        f"Sample.objects.create(call_id='{ada.call_id}', party='caller', mos=3.1, loss_pct=12,"
        " warnings=['low_mos'], at=timezone.now() + datetime.timedelta(hours=1))",
    )
    quality = at_alice.get_by_test_id("team-quality")
    await expect(quality).to_contain_text("MOS: caller 3.1 ⚠", timeout=WAIT_MS)
    at_bob = team.locator('[data-testid=team-agent][data-agent="bob@support.example.com"]')
    await expect(at_bob).to_have_attribute("data-presence", "away")
    # Each agent's dot sits before its name, inside the team panel, in its presence's colour.
    panel = await team.locator("#team").bounding_box()
    for row, colour in ((at_alice, "rgb(220, 38, 38)"), (at_bob, "rgb(217, 119, 6)")):
        dot = row.locator(".team-dot")
        box, name = await dot.bounding_box(), await row.locator("span").first.bounding_box()
        assert panel["x"] < box["x"] < panel["x"] + 40, (box, panel)
        assert name["y"] <= box["y"] <= name["y"] + name["height"], (box, name)
        assert await dot.evaluate("(el) => getComputedStyle(el).backgroundColor") == colour
    await bea.end()
    await ada.end()
    # Alice's recent calls give the call's quality over the call.
    row = alice.locator(f'[data-testid=recent-call][data-call-id="{ada.call_id}"]')
    summary = row.get_by_test_id("recent-quality")
    await expect(summary).to_contain_text("MOS: caller", timeout=WAIT_MS)
    await bob.get_by_test_id("presence").select_option("available")


async def test_a_long_inbox_shows_a_page_and_more_on_request(web, dashboards, clean):
    django_shell(
        web.env,
        QUEUE + "from supportcall.callbacks.models import CallbackRequest;"
        "CallbackRequest.objects.bulk_create([CallbackRequest(site=q.sites.first(), queue=q,"
        " name=f'Caller {i}', email='a@b.co') for i in range(55)])",
    )
    alice = await dashboards("alice")
    requests = alice.get_by_test_id("callback")
    await expect(requests).to_have_count(50, timeout=WAIT_MS)
    await expect(alice.locator("#missed-note")).to_have_text("55 waiting")
    more = alice.get_by_test_id("missed-more")
    await more.click()
    await expect(requests).to_have_count(55, timeout=WAIT_MS)
    await expect(requests.last).to_contain_text("Caller 54")
    await expect(more).to_be_hidden()


async def _figures(panel) -> list[int]:
    return [
        int(await panel.get_by_test_id(f"figure-{name}").locator("dd").inner_text())
        for name in ("offered", "answered", "abandoned")
    ]


async def test_staff_see_todays_figures_with_a_chart_by_hour(web, dashboards, visitors, clean):
    alice, bob = await alice_and_staff_bob_away(web, dashboards, "figures-section")
    panel = bob.locator('[data-testid=team-figures][data-queue="support@support.example.com"]')
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    offered, answered, abandoned = await _figures(panel)  # the day so far, other tests' calls

    ada, bea = await ada_with_alice_and_bea_waiting(alice, visitors)
    await bea.end()  # Bea gives up waiting: abandoned
    await ada.end()
    await bob.reload()

    await expect(panel.get_by_test_id("figure-offered").locator("dd")).to_have_text(
        str(offered + 2), timeout=WAIT_MS
    )
    assert await _figures(panel) == [offered + 2, answered + 1, abandoned + 1]
    await expect(panel.get_by_test_id("figure-service-level")).to_contain_text("%")
    chart = panel.locator("img.figures-chart")
    await wait_true(
        bob, "(img) => img.complete && img.naturalWidth > 0", arg=await chart.element_handle()
    )
    assert "offered" in await chart.get_attribute("alt")
    await panel.locator("summary").click()  # the numbers by hour, for those who cannot see it
    await expect(panel.locator("tbody tr")).not_to_have_count(0)
    await assert_accessible(bob, "figures")
    await bob.get_by_test_id("presence").select_option("available")
