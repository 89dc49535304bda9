"""The dashboard with axe-core (WCAG 2.1 AA): no serious or critical violation in any
state an agent meets; the login page too; motion reduced on request; usable at 200%."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible, axe_violations, describe
from tests.support.browser import WAIT_MS, in_progress, incoming, log_in
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser


async def test_every_state_of_a_call_on_the_dashboard_passes_axe(dashboards, visitors):
    page = await dashboards("alice")
    await assert_accessible(page, "idle")
    # The banners (sound, notifications) are inside a landmark like everything else.
    await expect(page.locator("main .banners")).to_have_count(1)
    regions = [v for v in await axe_violations(page) if v["id"] == "region"]
    assert regions == [], describe(regions)
    call = await (await visitors()).call(media="audio")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "ringing")
    await card.get_by_test_id("accept-audio").click()
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "in call")
    await panel.get_by_test_id("hold").click()
    await expect(in_progress(page, call, "on_hold")).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "held")
    await in_progress(page, call).get_by_test_id("hangup").click()
    await expect(in_progress(page, call, "ended")).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "ended")


async def test_a_declined_card_passes_axe(dashboards, visitors):
    page = await dashboards("alice")
    call = await (await visitors()).call(media="video", to="alice@support.example.com")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await card.get_by_test_id("reject").click()
    await expect(card).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await assert_accessible(page, "declined")


async def test_the_callback_inbox_and_the_team_view_pass_axe(dashboards, visitors, web):
    django_shell(
        web.env,
        "from supportcall.directory.models import Queue;"
        "from supportcall.callbacks.models import CallbackRequest;"
        "q = Queue.objects.get(name='support');"
        "CallbackRequest.objects.create(site=q.sites.first(), queue=q, name='Ada Lovelace',"
        " email='ada@example.com', note='My order 1042 never arrived')",
    )
    try:
        page = await dashboards("sam")  # the demo's supervisor: the team view too
        await expect(page.get_by_test_id("callback")).to_have_count(1, timeout=WAIT_MS)
        await expect(page.get_by_test_id("team-agent").first).to_be_visible(timeout=WAIT_MS)
        bea = await (await visitors(display_name="Bea")).call(media="audio")
        await expect(incoming(page, bea)).to_be_visible(timeout=WAIT_MS)
        await assert_accessible(page, "callback inbox and team view")
        await bea.end()
    finally:
        django_shell(
            web.env,
            "from supportcall.callbacks.models import CallbackRequest;"
            "CallbackRequest.objects.all().delete()",
        )


async def test_the_login_page_and_its_error_pass_axe(browser, web):
    page = await browser.new_page()
    await page.goto(f"{web.url}/accounts/login/")
    await assert_accessible(page, "login")
    await log_in(page, web, "alice", "not-the-password")
    await expect(page.get_by_test_id("login-error")).to_be_visible()
    await assert_accessible(page, "login error")


async def test_the_dark_colour_scheme_passes_axe_too(dashboards, visitors):
    page = await dashboards("alice")
    await page.emulate_media(color_scheme="dark")
    call = await (await visitors()).call(media="video")
    await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "ringing, dark")
    await incoming(page, call).get_by_test_id("accept-audio").click()
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await assert_accessible(page, "in call, dark")
    await call.end()


async def test_with_reduced_motion_nothing_moves_while_a_call_rings(dashboards, visitors):
    page = await dashboards("alice")
    await page.emulate_media(reduced_motion="reduce")
    call = await (await visitors()).call(media="audio")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    moving = (
        "document.getAnimations().filter((a) => a.playState === 'running')"
        ".map((a) => `${a.effect.target?.className} ${a.animationName || a.transitionProperty}`)"
    )
    assert await page.evaluate(moving) == []
    await card.get_by_test_id("ignore").click()  # busy for a moment: no spinner spins either
    assert await page.evaluate(moving) == []
    await call.wait_for_state("ended", timeout=10)  # nobody else could answer: no_agents


async def test_at_200_percent_zoom_a_call_can_be_answered_without_sideways_scrolling(
    dashboards, visitors
):
    # A 1280 x 900 window at 200% zoom lays the page out in 640 x 450 CSS pixels.
    page = await dashboards("alice", viewport={"width": 640, "height": 450})
    call = await (
        await visitors(context={"page": "https://shop.example.com/a/long/path?q=1"})
    ).call(media="video")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await page.evaluate(overflow) == 0
    for testid in ("accept-audio", "accept-video", "reject", "ignore", "forward-to", "forward"):
        button = card.get_by_test_id(testid)
        await button.scroll_into_view_if_needed()
        await expect(button).to_be_in_viewport()
    await card.get_by_test_id("accept-audio").click()
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    assert await page.evaluate(overflow) == 0
    await panel.get_by_test_id("hangup").scroll_into_view_if_needed()
    await expect(panel.get_by_test_id("hangup")).to_be_in_viewport()
    # In so short a window the top bar scrolls away with the page, leaving it to the call.
    await page.mouse.wheel(0, 600)
    await page.wait_for_timeout(200)
    top = await page.locator(".top").bounding_box()
    assert top["y"] + top["height"] <= 0, top
    await call.end()
