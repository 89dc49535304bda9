"""Consult (warm) transfer in Chromium: a widget call answered on one dashboard, held while
its agent consults a second agent's dashboard, then completed there (the visitor talks to
the second agent, with media, and the first agent is gone) or cancelled (the visitor talks
to the first agent again)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    BOB,
    CALL,
    WAIT_MS,
    answered_by_alice,
    bob_has_the_call,
    browser_flow,
    call_states,
    end_reason,
    expect_state,
    in_progress,
    page_media,
)

pytestmark = pytest.mark.browser


async def test_a_dashboard_agent_consults_a_colleague_then_completes_with_audio_following(
    web, chromium, dashboards
):
    alice, bob, visitor, call, first = await answered_by_alice(
        web, chromium, dashboards, "consult.html"
    )

    # By keyboard: choose Bob in the call panel's list, then press Consult.
    await first.get_by_test_id("transfer-to").select_option(BOB)
    await first.get_by_test_id("consult").focus()
    await alice.keyboard.press("Enter")

    consult, consulted = await bob_takes_the_consult(alice, bob, visitor, call)
    await consult.get_by_test_id("consult-complete").focus()
    await alice.keyboard.press("Enter")

    # Bob's dashboard takes the visitor at once: he agreed on the consult.
    await expect(in_progress(alice, call)).to_contain_text(
        "You transferred the call.", timeout=WAIT_MS
    )
    await expect(in_progress(bob, consulted)).to_contain_text(
        "The caller is being transferred to you.", timeout=WAIT_MS
    )
    await bob_has_the_call(bob, visitor, call)
    assert await in_progress(alice, call, "in_call").count() == 0


async def bob_takes_the_consult(alice, bob, visitor, call):
    """Alice just pressed Consult with Bob chosen: the visitor is held, Bob's dashboard
    rings saying whom it is about, he answers and the agents hear each other. Returns
    Alice's consult panel and the consult call."""
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
    consulted = SimpleNamespace(call_id=await at_bob.get_attribute("data-call-id"))
    await at_bob.get_by_test_id("accept-audio").click()

    await expect(consult).to_have_attribute("data-state", "in_call", timeout=WAIT_MS)
    await page_media(alice, consulted)  # the agents hear each other
    await page_media(bob, consulted)
    return consult, consulted


async def test_a_cancelled_consult_ends_for_both_agents_and_the_visitor_hears_the_first_again(
    web, chromium, dashboards
):
    alice, bob, visitor, call, first = await answered_by_alice(
        web, chromium, dashboards, "consult-cancel.html"
    )
    await first.get_by_test_id("transfer-to").select_option(BOB)
    await first.get_by_test_id("consult").click()
    consult, consulted = await bob_takes_the_consult(alice, bob, visitor, call)

    await consult.get_by_test_id("consult-cancel").click()

    # The consult is over for both; Alice takes the visitor off hold, and they talk again.
    await expect(consult).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(in_progress(bob, consulted)).to_have_attribute(
        "data-state", "ended", timeout=WAIT_MS
    )
    await expect(in_progress(alice, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await expect_state(visitor, "in_call", "In call")
    await page_media(alice, call)  # getStats bytesReceived growing at Alice's again
    await browser_flow(visitor, "audio")  # and at the visitor's, from Alice
    assert await call_states(alice, consulted) == ["initiated", "ringing", "in_call", "ended"]
    # A call that rings here starts ringing, and the server's first call.state says so again.
    assert await call_states(bob, consulted) == ["ringing", "ringing", "in_call", "ended"]
    assert await call_states(alice, call) == ["ringing", "ringing", "in_call", "on_hold", "in_call"]
    assert await visitor.evaluate(f"{CALL}.states") == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "in_call",
    ]
    assert await in_progress(bob, call).count() == 0  # Bob never had the visitor
    assert await end_reason(alice, consulted) == "ended_by_local"
    assert await end_reason(bob, consulted) == "ended_by_remote"
