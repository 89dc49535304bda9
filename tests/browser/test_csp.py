"""Our own pages run under their Content-Security-Policy without a single violation."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS
from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.browser


async def test_the_admin_works_under_its_policy(browser, web):
    page = await browser.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    await page.goto(f"{web.url}/admin/login/")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Site administration")).to_be_visible(
        timeout=WAIT_MS
    )
    for path in ("/admin/directory/agent/", "/admin/calls/call/", "/admin/directory/queue/add/"):
        await page.goto(web.url + path)
        await page.wait_for_load_state("networkidle")
    assert blocked == []
