"""The admin's call record in a real Chromium: readable at a glance, on a wide screen."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS, in_progress, incoming, screenshot

pytestmark = pytest.mark.browser


async def test_a_call_record_reads_as_a_timeline_without_sideways_scrolling(
    browser, web, dashboards, visitors
):
    agent = await dashboards("alice")
    call = await (await visitors()).call(media="video")
    await incoming(agent, call).get_by_test_id("accept-audio").click()
    await expect(in_progress(agent, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await call.end()
    await call.wait_for_state("ended", timeout=10)

    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    await page.goto(f"{web.url}/admin/login/")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(web.password)
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{web.url}/admin/calls/call/{call.call_id}/change/")
    timeline = page.get_by_test_id("timeline")
    await expect(timeline).to_be_visible()
    await expect(timeline).to_contain_text("the caller called support@support.example.com (video)")
    await expect(timeline).to_contain_text("alice@support.example.com answered with audio")
    await expect(timeline).to_contain_text("the caller hung up")
    # The SDP is there, folded away under the timeline.
    media = page.locator("details", has_text="Media (SDP and ICE)")
    await expect(media).not_to_have_attribute("open", "")
    await expect(page.get_by_text("m=audio").first).to_be_hidden()
    top = await timeline.bounding_box()
    assert top["y"] < (await media.bounding_box())["y"]
    assert top["y"] < 400  # the first thing on the page
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await page.evaluate(overflow) == 0
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, height  # it was 5,500 to 8,600 px of SDP
    await screenshot(page, "admin-call-record")
    await media.locator("summary").click()
    await expect(page.get_by_text("m=audio").first).to_be_visible()
    assert await page.evaluate(overflow) == 0  # long SDP lines wrap too
    await context.close()
