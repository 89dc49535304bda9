"""Chat between a visitor's widget and an agent's dashboard, both in Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_browser_to_browser import answered
from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, in_progress, tid

pytestmark = pytest.mark.browser

HTML = '<img src=x onerror="window.injected = true"><b>bold</b> & <i>more</i>'


def messages(container):
    return container.locator("[data-testid=chat-message]")


async def test_widget_and_dashboard_chat_with_links_text_unread_counts_and_typing(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "chat.html")
    panel = in_progress(agent, call)
    order_page = web.pages.page("order-1042.html", "<!doctype html><title>Order 1042</title>")

    # The agent opens the chat and sends a link, Enter sending it.
    await panel.get_by_test_id("chat-toggle").click()
    await expect(panel.get_by_test_id("chat")).to_be_visible()
    await panel.get_by_test_id("chat-input").fill(f"Your order: {order_page}.")
    await panel.get_by_test_id("chat-input").press("Enter")
    await expect(messages(panel)).to_have_count(1, timeout=WAIT_MS)
    await expect(panel.get_by_test_id("chat-input")).to_have_value("")

    # The visitor's chat is collapsed: the toggle counts it unread.
    toggle = tid(visitor, "chat-toggle")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(tid(visitor, "chat-unread")).to_have_text("1", timeout=WAIT_MS)
    await expect(tid(visitor, "chat-unread")).to_have_attribute("aria-label", "1 unread")
    # Opened from the keyboard: the count goes, the field has the focus.
    await toggle.focus()
    await visitor.keyboard.press("Enter")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(tid(visitor, "chat-unread")).to_be_hidden()
    await expect(tid(visitor, "chat-input")).to_be_focused()
    log = tid(visitor, "chat-log")
    await expect(log).to_have_attribute("role", "log")
    await expect(messages(log)).to_have_count(1)
    await expect(messages(log).first).to_contain_text(f"Your order: {order_page}.")

    # The link (without the sentence's full stop) opens in a new tab, with no opener.
    link = log.locator("a")
    await expect(link).to_have_count(1)
    await expect(link).to_have_attribute("href", order_page)
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    async with visitor.context.expect_page() as opened:
        await link.click()
    tab = await opened.value
    await tab.wait_for_load_state()
    assert tab.url == order_page
    assert await tab.evaluate("window.opener") is None
    await tab.close()

    # The visitor types: the agent sees it; the message is HTML kept as text.
    await tid(visitor, "chat-input").press_sequentially("<b>", delay=20)
    typing = panel.get_by_test_id("chat-typing")
    await expect(typing).to_be_visible(timeout=WAIT_MS)
    await expect(typing).to_have_text("The caller is typing…")
    await tid(visitor, "chat-input").fill(HTML)
    await tid(visitor, "chat-send").click()
    await expect(messages(panel)).to_have_count(2, timeout=WAIT_MS)
    await expect(typing).to_be_hidden()
    for log_of in (panel.get_by_test_id("chat-log"), log):
        await expect(messages(log_of).nth(1).locator(".chat-text")).to_have_text(HTML)
        await expect(log_of.locator("img, b, i")).to_have_count(0)
    assert await agent.evaluate("window.injected") is None
    assert await visitor.evaluate("window.injected") is None
    # Open, with a link and text in it, the chat has no serious accessibility violation.
    for scheme in ("light", "dark"):
        for page, name in ((visitor, "the widget's chat"), (agent, "the dashboard's chat")):
            await page.emulate_media(color_scheme=scheme)
            await assert_accessible(page, f"{name}, {scheme}")
    # Both sides read one order, each naming who spoke.
    await expect(messages(panel).locator(".chat-who")).to_have_text(["You", "Caller"])
    await expect(messages(log).locator(".chat-who")).to_have_text(["Alice Agent", "You"])

    # The agent types: the widget says so.
    await panel.get_by_test_id("chat-input").press_sequentially("One", delay=20)
    await expect(tid(visitor, "chat-typing")).to_have_text("The agent is typing…", timeout=WAIT_MS)
    await panel.get_by_test_id("chat-input").fill("")
    await expect(tid(visitor, "chat-typing")).to_be_hidden(timeout=WAIT_MS)

    # The agent collapses the chat: what comes meanwhile is counted there.
    await panel.get_by_test_id("chat-toggle").click()
    await expect(panel.get_by_test_id("chat")).to_be_hidden()
    await tid(visitor, "chat-input").fill("thanks")
    await tid(visitor, "chat-input").press("Enter")
    await expect(panel.get_by_test_id("chat-unread")).to_have_text("1", timeout=WAIT_MS)
    await panel.get_by_test_id("chat-toggle").click()
    await expect(panel.get_by_test_id("chat-unread")).to_be_hidden()
    await expect(messages(panel)).to_have_count(3)
    await expect(messages(panel).nth(2)).to_contain_text("thanks")
