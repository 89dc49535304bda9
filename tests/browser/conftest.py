"""Real Chromium (Debian's, driven by Playwright) against a real daphne server.

The widget's host page is served from a different origin than the server, as
on a customer's site. Chromium runs with fake media devices and with its
background networking off, so nothing leaves this machine.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from supportcall.client import Agent, Visitor
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DASHBOARD_RECORDER,
    PAGES,
    WAIT_MS,
    chromium_installed,
    log_in,
    web_server,
)
from tests.support.recorder import record
from tests.support.servers import need


@pytest.fixture(autouse=True)
def browser_logs():
    """Print what the test's pages (from open_page) logged: pytest shows it when a test fails."""
    yield
    for page in PAGES:
        print(f"--- {page.url}", *page.logs, sep="\n")
    PAGES.clear()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The server every browser test uses, with the default settings (see web_server)."""
    yield from web_server(tmp_path_factory)


@pytest.fixture
async def chromium():
    """A factory of Chromium browsers: `await chromium()` (fake camera and microphone,
    permission prompts accepted) or `await chromium(grant_media=False)` (denied)."""
    need("Chromium", chromium_installed(), f"{CHROMIUM}; apt-get install chromium")
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    browsers = []

    async def launch(grant_media: bool = True):
        args = [*CHROMIUM_ARGS]
        if grant_media:
            args.append("--use-fake-ui-for-media-stream")
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=args,
            chromium_sandbox=False,
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        await browser.close()
    await playwright.stop()


# --- the agent dashboard ---------------------------------------------------------


@pytest.fixture
async def browser(chromium):
    return await chromium()


@pytest.fixture
async def dashboards(browser, web):
    """`await dashboards("alice")`: a new browser context (its own session) logged in
    through the login form, on the dashboard, connected and available; or, with
    `open_tab=page`, another tab of that page's session. Every page records what
    the dashboard's public events hand out (DASHBOARD_RECORDER) and must end the
    test without a JavaScript error. `locale="de-DE"` gives the browser that language
    (navigator.language and Accept-Language); without it the page is in English."""
    errors: list[str] = []
    console: list[str] = []

    def watch(page):
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("requestfailed", lambda r: console.append(f"request failed: {r.url} {r.failure}"))
        # Anything the page's Content-Security-Policy blocks is an error of the page.
        page.on(
            "console",
            lambda message: (
                errors.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    async def open_(
        username="alice", *, viewport=None, init_script=None, open_tab=None, locale=None
    ):
        if open_tab is not None:
            page = watch(await open_tab.context.new_page())
            await page.goto(f"{web.url}/agent/")
        else:
            context = await browser.new_context(
                viewport=viewport or {"width": 1280, "height": 900}, locale=locale
            )
            await context.add_init_script(DASHBOARD_RECORDER)
            if init_script:
                await context.add_init_script(init_script)
            page = watch(await context.new_page())
            await log_in(page, web, username)
            await expect(page).to_have_url(f"{web.url}/agent/")
        try:
            connection = page.get_by_test_id("connection")
            await expect(connection).to_have_attribute("data-status", "connected", timeout=WAIT_MS)
            if locale is None:
                await expect(connection).to_have_text("Connected")
        except AssertionError as e:
            raise AssertionError(
                f"{e}\n--- the browser's console:\n" + "\n".join(console)
            ) from None
        presence = page.get_by_test_id("presence")
        if open_tab is None and await presence.input_value() != "available":
            # Presence is remembered across connections: an earlier test may have left it away.
            await presence.select_option("available")
            await expect(page.get_by_test_id("result")).to_have_attribute("data-ok", "true")
        return page

    yield open_
    assert errors == []


@pytest.fixture
async def visitors(web):
    """`await visitors(...)`: a connected Python visitor (Ada, order 1042 by default);
    all are closed (hanging up their calls) at the end."""
    opened: list[Visitor] = []

    async def make(**kw):
        kw = {"display_name": "Ada", "context": {"order": "1042"}, **kw}
        visitor = Visitor(web.url, "demo", **kw)
        record(visitor)
        await visitor.connect()
        opened.append(visitor)
        return visitor

    yield make
    for visitor in opened:
        await visitor.close()


@pytest.fixture
async def alice(web):
    """An agent online, so that the line is open and the widget places its call."""
    agent = Agent(web.url, "alice", web.password)
    record(agent)
    await agent.connect()
    yield agent
    await agent.close()
