"""The widget by keyboard alone: Escape closes the panel and never hangs up, and
hanging up is never the default action, so a second Enter cannot end a call."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS, WIDGET, expect_state, host_page, tid

pytestmark = pytest.mark.browser


async def focused_testid(page):
    return await page.evaluate(
        f"document.querySelector('{WIDGET}').shadowRoot.activeElement?.dataset.testid ?? null"
    )


async def tab_to(page, name, most=8):
    for _ in range(most):
        if await focused_testid(page) == name:
            return
        await page.keyboard.press("Tab")
    assert await focused_testid(page) == name


async def test_a_second_enter_as_a_call_starts_does_not_cancel_it(web, chromium, alice):
    page = await host_page(web, chromium, "enter-twice.html")
    await page.keyboard.press("Tab")
    assert await focused_testid(page) == "call-button"
    await page.keyboard.press("Enter")
    await expect(tid(page, "choose-audio")).to_be_focused()
    await page.keyboard.press("Enter")
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    assert await focused_testid(page) == "status"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Space")
    await incoming.accept()
    await expect_state(page, "in_call", "In call")
    assert incoming.state == "in_call"
    assert await focused_testid(page) == "status"
    await page.keyboard.press("Enter")
    await expect_state(page, "in_call")
    await incoming.end()


async def test_escape_while_ringing_closes_the_panel_and_the_call_rings_on(web, chromium, alice):
    page = await host_page(web, chromium, "escape-ringing.html")
    await tid(page, "call-button").click()
    await tid(page, "choose-audio").click()
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await page.keyboard.press("Escape")
    launcher = tid(page, "call-button")
    await expect(tid(page, "status")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_text("Calling…")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await incoming.accept()  # still ringing for the agent: it answers
    await expect(launcher).to_have_text(re.compile(r"^In call 00:\d\d$"), timeout=WAIT_MS)
    await page.keyboard.press("Enter")  # the launcher shows the call again
    await expect_state(page, "in_call", "In call")
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    await incoming.end()
    await expect_state(page, "ended")


async def test_keyboard_only_visitor_calls_holds_hides_the_call_and_hangs_up(web, chromium, alice):
    page = await host_page(web, chromium, "keyboard.html")
    await expect(page.get_by_role("button", name="Call support")).to_be_visible()
    await expect(tid(page, "status")).to_have_attribute("aria-live", "polite")
    for name in ("mute", "video", "hold", "hangup"):
        assert await tid(page, name).get_attribute("aria-label")

    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(tid(page, "choose-audio")).to_be_focused()
    await expect(tid(page, "call-button")).to_have_attribute("aria-expanded", "true")
    await page.keyboard.press("Space")
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await expect(page.get_by_role("button", name="Cancel the call")).to_be_visible()
    # Cancelling is a choice: Tab to it, then Enter.
    await tab_to(page, "hangup")
    await page.keyboard.press("Enter")
    await incoming.wait_for_state("ended", timeout=10)
    assert incoming.end_reason == "cancelled"
    await expect_state(page, "ended")
    await expect(tid(page, "choose-audio")).to_be_focused()

    await page.keyboard.press("Escape")  # closes the panel
    await expect(tid(page, "choose-audio")).to_be_hidden()
    assert await focused_testid(page) == "call-button"
    await expect(tid(page, "call-button")).to_have_attribute("aria-expanded", "false")

    # In a call the controls are real buttons with names, reachable by Tab.
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")
    incoming = await alice.next_incoming(timeout=15)
    await incoming.accept()
    await expect_state(page, "in_call")
    for name in ("Mute microphone", "Camera", "Hold", "Hang up"):
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    await tab_to(page, "hold")
    await page.keyboard.press("Enter")
    await expect_state(page, "on_hold")

    await page.keyboard.press("Escape")  # hides the call; it goes on, held
    launcher = tid(page, "call-button")
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_text("On hold")
    await expect(page.get_by_role("button", name="On hold", exact=True)).to_be_visible()
    assert incoming.state == "remotely_held"
    await page.keyboard.press("Enter")
    await expect_state(page, "on_hold")
    await tab_to(page, "hangup")
    await page.keyboard.press("Enter")
    await incoming.wait_for_state("ended", timeout=10)
    assert incoming.end_reason == "ended_by_remote"
