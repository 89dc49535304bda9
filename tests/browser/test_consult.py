"""Consult (warm) transfer in Chromium: a widget call answered on one dashboard, held while
its agent consults a second agent's dashboard, then completed there: the visitor talks to
the second agent, with media, and the first agent is gone."""

from __future__ import annotations

from types import SimpleNamespace

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


async def test_a_dashboard_agent_consults_a_colleague_then_completes_with_audio_following(
    web, chromium, dashboards
):
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    visitor, call = await widget_calls(web, chromium, "consult.html", queue=ALICE)
    await incoming(alice, call).get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    first = in_progress(alice, call, "in_call")
    await expect(first).to_be_visible(timeout=WAIT_MS)
    await page_media(alice, call)

    # By keyboard: choose Bob in the call panel's list, then press Consult.
    await first.get_by_test_id("transfer-to").select_option(BOB)
    await first.get_by_test_id("consult").focus()
    await alice.keyboard.press("Enter")

    # The visitor is held; the consult rings Bob, saying whom it is about.
    await expect(in_progress(alice, call, "on_hold")).to_be_visible(timeout=WAIT_MS)
    await expect_state(visitor, "remotely_held")
    consult = alice.locator("[data-testid=call]", has=alice.get_by_test_id("consult-controls"))
    await expect(consult).to_contain_text("Bob Agent", timeout=WAIT_MS)
    # The keyboard is on the consult's controls already.
    await expect(consult.get_by_test_id("consult-cancel")).to_be_focused()
    at_bob = bob.get_by_test_id("incoming").filter(has=bob.get_by_test_id("consult-of"))
    await expect(at_bob).to_contain_text("Consult about the call from", timeout=WAIT_MS)
    await expect(at_bob.get_by_test_id("caller")).to_have_text("Alice Agent")
    consult_id = await at_bob.get_attribute("data-call-id")
    await at_bob.get_by_test_id("accept-audio").click()

    await expect(consult).to_have_attribute("data-state", "in_call", timeout=WAIT_MS)
    consulted = SimpleNamespace(call_id=consult_id)
    await page_media(alice, consulted)  # the agents hear each other
    await page_media(bob, consulted)
    await consult.get_by_test_id("consult-complete").focus()
    await alice.keyboard.press("Enter")

    # Bob's dashboard takes the visitor at once: he agreed on the consult.
    await expect(in_progress(alice, call)).to_contain_text(
        "You transferred the call.", timeout=WAIT_MS
    )
    await expect(in_progress(bob, SimpleNamespace(call_id=consult_id))).to_contain_text(
        "The caller is being transferred to you.", timeout=WAIT_MS
    )
    await expect_state(visitor, "in_call", "In call")
    panel = in_progress(bob, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("transferred-by")).to_contain_text("Alice Agent")
    await page_media(bob, call)  # getStats bytesReceived growing at Bob's
    await browser_flow(visitor, "audio")  # and at the visitor's, from Bob now
    assert await in_progress(alice, call, "in_call").count() == 0
