"""Real Chromium (Debian's, driven by Playwright) against a real daphne server.

The widget's host page is served from a different origin than the server, as
on a customer's site. Chromium runs with fake media devices and with its
background networking off, so nothing leaves this machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect
from pytest_asyncio import is_async_test

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


def pytest_collection_modifyitems(items):
    """The browser tests run in one event loop, the one their Chromium was started in."""
    here = Path(__file__).parent
    one_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and here in item.path.parents:
            item.add_marker(one_loop, append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromiums():
    """Chromium browsers started once for every browser test, by whether they grant
    the media permissions; each test has contexts of its own (cookies, storage, cache)."""
    need("Chromium", chromium_installed(), f"{CHROMIUM}; apt-get install chromium")
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    started: dict[bool, Browser] = {}

    async def get(grant_media: bool) -> Browser:
        if grant_media not in started or not started[grant_media].is_connected():
            args = [*CHROMIUM_ARGS]
            if grant_media:
                args.append("--use-fake-ui-for-media-stream")
            started[grant_media] = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=args,
                chromium_sandbox=False,
            )
        return started[grant_media]

    yield get
    for browser in started.values():
        await browser.close()
    await playwright.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def chromium(chromiums):
    """`await chromium()`: a Chromium browser (fake camera and microphone, permission
    prompts accepted), or `await chromium(grant_media=False)` (denied). What the test
    opens in it is closed at its end."""
    used: list[Browser] = []

    async def launch(grant_media: bool = True) -> Browser:
        browser = await chromiums(grant_media)
        used.append(browser)
        return browser

    yield launch
    for browser in used:
        for context in browser.contexts:
            await context.close()


# --- the agent dashboard ---------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def browser(chromium):
    return await chromium()


@pytest_asyncio.fixture(loop_scope="session")
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


@pytest_asyncio.fixture(loop_scope="session")
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


@pytest_asyncio.fixture(loop_scope="session")
async def alice(web):
    """An agent online, so that the line is open and the widget places its call."""
    agent = Agent(web.url, "alice", web.password)
    record(agent)
    await agent.connect()
    yield agent
    await agent.close()
