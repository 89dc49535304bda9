"""Blind transfer in Chromium: a widget call answered on one dashboard and transferred
from its call panel to a second agent's dashboard, where it is answered with media."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_browser_to_browser import BOB, widget_calls
from tests.support.browser import (
    WAIT_MS,
    browser_flow,
    expect_state,
    in_progress,
    incoming,
    page_media,
)

pytestmark = pytest.mark.browser

ALICE = "alice@support.example.com"


async def test_a_connected_call_transferred_to_a_second_dashboard_carries_audio_there(
    web, chromium, dashboards
):
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    visitor, call = await widget_calls(web, chromium, "transfer.html", queue=ALICE)
    await incoming(alice, call).get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    first = in_progress(alice, call, "in_call")
    await expect(first).to_be_visible(timeout=WAIT_MS)
    await page_media(alice, call)

    # The list says who is free now (targets.json): Bob is.
    bob_option = first.get_by_test_id("transfer-to").locator(f'option[value="{BOB}"]')
    await expect(bob_option).to_have_attribute("data-free", "true", timeout=WAIT_MS)
    await expect(bob_option).to_contain_text("(free)")
    # By keyboard: choose Bob in the call panel's list, then press Transfer.
    await first.get_by_test_id("transfer-to").select_option(BOB)
    await first.get_by_test_id("transfer").focus()
    await alice.keyboard.press("Enter")

    await expect(in_progress(alice, call)).to_contain_text(
        "You transferred the call.", timeout=WAIT_MS
    )
    at_bob = incoming(bob, call)
    await expect(at_bob).to_have_attribute("data-state", "ringing", timeout=WAIT_MS)
    await expect_state(visitor, "ringing", "Transferring you to Bob Agent… please wait.")
    await at_bob.get_by_test_id("accept-audio").click()

    await expect_state(visitor, "in_call", "In call")
    panel = in_progress(bob, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("transferred-by")).to_contain_text("Alice Agent")
    await page_media(bob, call)  # getStats bytesReceived growing at Bob's
    await browser_flow(visitor, "audio")  # and at the visitor's, from Bob now
