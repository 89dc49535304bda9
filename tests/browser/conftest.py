"""Real Chromium (Debian's, driven by Playwright) against a real daphne server.

The widget's host page is served from a different origin than the server, as
on a customer's site. Chromium runs with fake media devices and with its
background networking off, so nothing leaves this machine.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.async_api import expect

from supportcall.client import Visitor
from tests.support.servers import DEMO_PASSWORD, ROOT, Server, base_env, manage, need, prepare

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 15_000  # Playwright expectations, in milliseconds
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-features=MediaRouter,OptimizationHints",
    "--autoplay-policy=no-user-gesture-required",
]


def host_page_html(server_url: str, **attributes: str) -> str:
    """A customer's page that embeds the widget with one tag."""
    attrs = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>
<style>button {{ background: red; font-size: 40px; }} * {{ font-family: serif; }}</style>
</head><body>
<h1>Example shop</h1><p>A page on another origin than the support server.</p>
<script src="{server_url}/static/supportcall/widget.js" data-site="demo" {attrs} async></script>
</body></html>"""


class HostPages:
    """A static HTTP server for customer pages, on http://localhost:<port>."""

    def __init__(self, root: Path):
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, name: str, html: str) -> str:
        (self.root / name).write_text(html)
        return f"{self.origin}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A daphne server (SQLite, in-memory layer) and a host-page server on another origin.

    The demo site allows the host pages' origin; `web.denied` is a host-page
    server on an origin the site does not allow.
    """
    tmp = tmp_path_factory.mktemp("web")
    env = base_env(tmp)
    prepare(env)
    pages = HostPages(tmp_path_factory.mktemp("pages"))
    denied = HostPages(tmp_path_factory.mktemp("denied"))
    server = Server(env, tmp).start()
    manage(
        env,
        "create_site",
        "demo",
        "--origin",
        server.url,
        "--origin",
        pages.origin,
        "--queue",
        "support",
    )
    server.pages, server.denied, server.env = pages, denied, env
    server.password = DEMO_PASSWORD
    yield server
    server.stop()
    pages.close()
    denied.close()


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


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


async def screenshot(page, name: str) -> Path:
    """Save a screenshot where the README links to it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


# --- the agent dashboard ---------------------------------------------------------


@pytest.fixture
async def browser(chromium):
    return await chromium()


@pytest.fixture
async def dashboards(browser, web):
    """`await dashboards("alice")`: a new browser context (its own session) logged in
    through the login form, on the dashboard, connected and available; or, with
    `open_tab=page`, another tab of that page's session. Every page must end the
    test without a JavaScript error."""
    errors: list[str] = []
    console: list[str] = []

    def watch(page):
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("requestfailed", lambda r: console.append(f"request failed: {r.url} {r.failure}"))
        return page

    async def open_(username="alice", *, viewport=None, init_script=None, open_tab=None):
        if open_tab is not None:
            page = watch(await open_tab.context.new_page())
            await page.goto(f"{web.url}/agent/")
        else:
            context = await browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
            if init_script:
                await context.add_init_script(init_script)
            page = watch(await context.new_page())
            await log_in(page, web, username)
            await expect(page).to_have_url(f"{web.url}/agent/")
        try:
            await expect(page.get_by_test_id("connection")).to_have_text(
                "Connected", timeout=WAIT_MS
            )
        except AssertionError as e:
            raise AssertionError(
                f"{e}\n--- the browser's console:\n" + "\n".join(console)
            ) from None
        presence = page.get_by_test_id("presence")
        if open_tab is None and await presence.input_value() != "available":
            # Presence is remembered across connections: an earlier test may have left it away.
            await presence.select_option("available")
            await expect(page.get_by_test_id("result")).to_contain_text("available")
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
        await visitor.connect()
        opened.append(visitor)
        return visitor

    yield make
    for visitor in opened:
        await visitor.close()


async def log_in(page, web, username, password=DEMO_PASSWORD):
    await page.goto(f"{web.url}/accounts/login/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
