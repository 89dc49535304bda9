"""The demo out of the box: the page names the server it is served from, and the demo data
has a supervisor who opens the team view."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS

pytestmark = pytest.mark.browser


async def test_the_demo_page_names_the_port_it_is_served_on(browser, web):
    assert not web.url.endswith(":8000")  # the tests' server is on another port
    page = await browser.new_page()
    await page.goto(f"{web.url}/")
    for testid in ("call-command", "answer-command"):
        await expect(page.get_by_test_id(testid)).to_contain_text(f"--server {web.url} ")
    await expect(page.locator("main")).not_to_contain_text("8000")


async def test_the_demo_supervisor_sam_answers_calls_and_sees_the_team(dashboards):
    page = await dashboards("sam")
    team = page.get_by_test_id("supervisor")
    await expect(team).to_be_visible()
    sam = team.locator('[data-testid=team-agent][data-agent="sam@support.example.com"]')
    await expect(sam).to_have_attribute("data-presence", "available", timeout=WAIT_MS)
    for agent in ("alice", "bob"):
        await expect(team.locator(f'[data-agent="{agent}@support.example.com"]')).to_be_visible()
