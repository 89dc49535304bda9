"""Blind transfer in Chromium: a widget call answered on one dashboard and transferred
from its call panel to a second agent's dashboard, where it is answered with media."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    BOB,
    WAIT_MS,
    answered_by_alice,
    bob_has_the_call,
    expect_state,
    in_progress,
    incoming,
)

pytestmark = pytest.mark.browser

# How soon a change of who is free shows in a list shown elsewhere.
LIVE_MS = 2_000


async def test_a_connected_call_transferred_to_a_second_dashboard_carries_audio_there(
    web, chromium, dashboards
):
    alice, bob, visitor, call, first = await answered_by_alice(
        web, chromium, dashboards, "transfer.html"
    )

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

    await bob_has_the_call(bob, visitor, call)


async def test_the_transfer_list_says_at_once_when_a_colleague_goes_away_and_comes_back(
    web, chromium, dashboards
):
    """Pushed (targets.changed), not polled: the list never gets the focus, and the safety
    reload (every 30 s) does not come within the test's two seconds."""
    _alice, bob, _visitor, _call, first = await answered_by_alice(
        web, chromium, dashboards, "transfer-live.html"
    )
    bob_option = first.get_by_test_id("transfer-to").locator(f'option[value="{BOB}"]')
    await expect(bob_option).to_have_attribute("data-free", "true", timeout=WAIT_MS)
    await expect(bob_option).to_contain_text("(free)")

    presence = bob.get_by_test_id("presence")
    try:
        await presence.select_option("away")
        await expect(bob_option).to_have_attribute("data-free", "false", timeout=LIVE_MS)
        await expect(bob_option).to_contain_text("(not free)")
    finally:
        await presence.select_option("available")  # Bob's choice outlives his page
    await expect(bob_option).to_have_attribute("data-free", "true", timeout=LIVE_MS)
    await expect(bob_option).to_contain_text("(free)")
    assert not await first.get_by_test_id("transfer-to").evaluate(
        "(list) => list === document.activeElement"
    )
