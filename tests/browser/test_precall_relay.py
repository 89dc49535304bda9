"""The widget's check before the call for a site that relays everything, through a real
coturn on this machine (the fixtures of test_relay.py): a check through the relay says
so, and after a call whose media never connected the next opening of the widget checks
by itself and tells the visitor plainly that the network cannot be reached."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from supportcall.client import Agent, Options
from tests.browser.test_relay import MEDIA_TIMEOUT, REFUSED_CREDENTIALS, relay, web
from tests.support.browser import WAIT_MS, WIDGET, expect_state, host_page, start_call, tid

pytestmark = pytest.mark.browser
__all__ = ["relay", "web"]  # the fixtures, used by name

RESULT = f"document.querySelector('{WIDGET}').precheck.result"
CHECK_MS = (8 + 15) * 1000  # SUPPORTCALL_CHECK_SECONDS and slack for two busy cores


async def open_and_check(page) -> None:
    launcher = tid(page, "call-button")
    await expect(launcher).not_to_have_attribute("data-line", "asking", timeout=WAIT_MS)
    await launcher.click()
    await tid(page, "check-button").click()


async def test_a_check_where_only_the_relay_is_allowed_says_so(web, chromium):
    page = await host_page(web, chromium, "check-relay.html", queue="support")
    await open_and_check(page)
    result = tid(page, "check-result")
    await expect(result).to_have_attribute("data-verdict", "relay_only", timeout=CHECK_MS)
    await expect(result).to_have_text("Your network only works through our relay")
    check = await page.evaluate(RESULT)
    assert (check["connected"], check["candidate_type"]) == (True, "relay"), check


async def test_after_a_call_whose_media_failed_the_widget_checks_by_itself_and_says_blocked(
    web, chromium, relay
):
    refused = {"urls": relay.urls, "username": "1:alice", "credential": "d3Jvbmc="}
    agent = Agent(Options(web.url, ice_servers=[refused]), "alice", web.password)
    await agent.connect()
    try:
        await agent.set_presence("available")
        page = await host_page(web, chromium, "check-after-failure.html", queue="support")
        await page.evaluate(REFUSED_CREDENTIALS)
        await start_call(page, "audio")
        incoming = await agent.next_incoming(timeout=15)
        await incoming.accept()
        await expect(tid(page, "error")).to_contain_text(
            "Your network blocks the call.", timeout=(MEDIA_TIMEOUT + 15) * 1000
        )
        await expect_state(page, "ended")
        # Nothing pressed but the launcher: the check runs on its own this time.
        await tid(page, "call-button").click()
        result = tid(page, "check-result")
        await expect(result).to_have_attribute("data-verdict", "running", timeout=WAIT_MS)
        await expect(result).to_have_attribute("data-verdict", "blocked", timeout=CHECK_MS)
        await expect(result).to_have_text("We cannot reach you: try another network")
        assert (await page.evaluate(RESULT))["connected"] is False
        # Once: the next opening does not check again unasked.
        await tid(page, "close").click()
        await tid(page, "call-button").click()
        await expect(tid(page, "choose-audio")).to_be_visible()
        await expect(result).to_have_text("We cannot reach you: try another network")
    finally:
        await agent.close()
