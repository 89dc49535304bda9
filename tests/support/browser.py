"""Helpers for the browser tests: Chromium's settings, customer pages, and the
ways tests drive and observe the widget and the dashboard.

The fixtures that use them (`web`, `chromium`, `dashboards`...) are in
``tests/browser/conftest.py``.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from playwright.async_api import expect

from tests.support.servers import DEMO_PASSWORD, ROOT, Server, base_env, command, prepare

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


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


async def screenshot(page, name: str) -> Path:
    """Save a screenshot where the README links to it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


def tid(page, name):
    return page.locator(f"[data-testid={name}]")


# --- customer pages and the widget ---------------------------------------------------

WIDGET = "supportcall-widget"
# The widget element's current phone.js Call (a public property of the element).
CALL = f"document.querySelector('{WIDGET}').call"


def embed_tag(server_url: str, **attributes: str) -> str:
    """The one tag a customer pastes (README, "Put the button on a site")."""
    attrs = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    src = f"{server_url}/static/supportcall/widget.js"
    return f'<script src="{src}" data-site="demo" {attrs} async></script>'


def host_page_html(server_url: str, *, tags: int = 1, **attributes: str) -> str:
    """A customer's page that embeds the widget with one tag (or the same tag `tags` times)."""
    embed = "\n".join(embed_tag(server_url, **attributes) for _ in range(tags))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example shop</title>
<style>button {{ background: red; font-size: 40px; }} * {{ font-family: serif; }}</style>
</head><body>
<h1>Example shop</h1><p>A page on another origin than the support server.</p>
{embed}
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


# Pages opened by open_page, whose logs the `browser_logs` fixture prints.
PAGES: list = []


async def open_page(chromium, url, *, grant_media=True, viewport=None, zoom=1):
    """A fresh browser on ``url``; the page records what it requested and logged.
    ``zoom=2`` is a 200% zoom: device pixels per CSS pixel, in a ``viewport`` of CSS pixels."""
    browser = await chromium(grant_media=grant_media)
    page = await browser.new_page(
        viewport=viewport or {"width": 1280, "height": 800}, device_scale_factor=zoom
    )
    page.requests = []
    page.logs = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: page.logs.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.logs.append(f"pageerror: {error}"))
    PAGES.append(page)
    await page.goto(url)
    await expect(page.locator("[data-testid=call-button]")).to_be_visible(timeout=WAIT_MS)
    return page


async def host_page(
    web, chromium, name, *, grant_media=True, viewport=None, zoom=1, tags=1, **attributes
):
    """The widget embedded with one tag on a customer's page of another origin."""
    url = web.pages.page(name, host_page_html(web.url, tags=tags, **attributes))
    return await open_page(chromium, url, grant_media=grant_media, viewport=viewport, zoom=zoom)


async def start_call(page, media="audio"):
    launcher = tid(page, "call-button")
    # As a visitor sees it: the launcher's words settle once the line's status was asked.
    await expect(launcher).not_to_have_attribute("data-line", "asking", timeout=WAIT_MS)
    await launcher.click()
    await tid(page, f"choose-{media}").click()


async def expect_state(page, state, text=None):
    status = tid(page, "status")
    await expect(status).to_have_attribute("data-state", state, timeout=WAIT_MS)
    if text is not None:
        await expect(status).to_have_text(text, timeout=WAIT_MS)


async def click_when_ready(page, name):
    """Click a call control once the previous operation has finished."""
    button = tid(page, name)
    await expect(button).not_to_have_attribute("aria-disabled", "true", timeout=WAIT_MS)
    await button.click()


async def widget_calls(web, chromium, name, media="audio", **attributes):
    """The visitor calls from the widget; returns its page and the call (by id)."""
    visitor = await host_page(web, chromium, name, **attributes)
    await start_call(visitor, media)
    await wait_true(visitor, f"{CALL} && {CALL}.id", timeout=WAIT_MS)
    call = SimpleNamespace(call_id=await visitor.evaluate(f"{CALL}.id"))
    return visitor, call


async def browser_bytes(page):
    return await page.evaluate(f"{CALL}.inboundBytes()")


async def browser_flow(page, kind, *, flowing=True, timeout=10.0, window=0.7):
    """Wait until the widget call's inbound bytes of ``kind`` flow, or stop (``flowing=False``)."""
    read = functools.partial(browser_bytes, page)
    return await bytes_flow(read, kind, flowing=flowing, timeout=timeout, window=window)


async def bytes_flow(read, kind, *, flowing, timeout, window):
    """Poll ``await read()`` (inbound bytes by kind) until ``kind`` flows (grows twice
    within ``window`` seconds) or, with ``flowing=False``, stops for ``window``;
    return the count."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, last_change, growth = (await read())[kind], loop.time(), []
    while True:
        await asyncio.sleep(0.1)
        now, value = loop.time(), (await read())[kind]
        if value != last:
            last, last_change = value, now
            growth.append(now)
        if flowing and len([t for t in growth if now - t <= window]) >= 2:
            return value
        if not flowing and now - last_change >= window:
            return value
        assert now < deadline, f"{kind} bytes did not {'flow' if flowing else 'stop'} (at {last})"


# --- the agent dashboard ------------------------------------------------------------

# Added to every dashboard page before its scripts run: keeps what the page's
# public events (README, "Integrating with the dashboard") hand out, as an
# integration would: the connected Phone, and every Call that rang.
DASHBOARD_RECORDER = """
window.recorded = { phone: null, calls: new Map() };
document.addEventListener("supportcall:phone", (e) => (window.recorded.phone = e.detail));
document.addEventListener("supportcall:call", (e) => {
  window.recorded.calls.set(e.detail.id, e.detail);
});
"""
PHONE = "window.recorded.phone"
# Whether the dashboard's ringtone plays (body[data-ringing]).
RINGING = "document.body.dataset.ringing === 'true'"


async def log_in(page, web, username, password=DEMO_PASSWORD):
    """Through the login form, in whatever language the page is in."""
    await page.goto(f"{web.url}/accounts/login/")
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.locator("form:has(input[name=password]) button[type=submit]").click()


ALICE = "alice@support.example.com"
BOB = "bob@support.example.com"


def incoming(page, call):
    return page.locator(f'[data-testid=incoming][data-call-id="{call.call_id}"]')


def in_progress(page, call, state=None):
    selector = f'[data-testid=call][data-call-id="{call.call_id}"]'
    return page.locator(selector + (f'[data-state="{state}"]' if state else ""))


async def page_bytes(page, call) -> dict[str, int]:
    return await page.evaluate("(id) => window.recorded.calls.get(id).inboundBytes()", call.call_id)


async def call_states(page, call) -> list[str]:
    """Every state a dashboard's call went through (phone.js keeps them)."""
    return await page.evaluate("(id) => window.recorded.calls.get(id).states", call.call_id)


async def end_reason(page, call) -> str:
    return await page.evaluate("(id) => window.recorded.calls.get(id).reason", call.call_id)


async def page_media(page, call, kind="audio", flowing=True, timeout=10.0, window=1.0):
    """Wait until the dashboard call's inbound bytes of ``kind`` flow, or stop."""
    read = functools.partial(page_bytes, page, call)
    return await bytes_flow(read, kind, flowing=flowing, timeout=timeout, window=window)


async def answered_by_alice(web, chromium, dashboards, page_name):
    """Alice's and Bob's dashboards, and a widget call to Alice (Bob is not rung) that she
    answered, audio reaching her: ``(alice, bob, visitor, call, her panel in_call)``."""
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    visitor, call = await widget_calls(web, chromium, page_name, queue=ALICE)
    await incoming(alice, call).get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    panel = in_progress(alice, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await page_media(alice, call)
    return alice, bob, visitor, call, panel


async def bob_has_the_call(bob, visitor, call):
    """Alice handed the call on to Bob, who took it: his panel says from whom, and the
    audio flows between him and the visitor."""
    await expect_state(visitor, "in_call", "In call")
    panel = in_progress(bob, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("transferred-by")).to_contain_text("Alice Agent")
    await page_media(bob, call)  # getStats bytesReceived growing at Bob's
    await browser_flow(visitor, "audio")  # and at the visitor's, from Bob now


async def result(page, ok: bool, *texts: str):
    toast = page.get_by_test_id("result")
    await expect(toast).to_have_attribute("data-ok", "true" if ok else "false", timeout=WAIT_MS)
    for text in texts:
        await expect(toast).to_contain_text(text, timeout=WAIT_MS)


async def wait_true(page, expression: str, timeout: float = 30_000, arg: Any = None) -> None:
    """Wait until ``expression`` (or a function of ``arg``) is truthy in the page,
    ``timeout`` in milliseconds.

    Playwright's wait_for_function compiles the expression inside the page, which
    a Content-Security-Policy without 'unsafe-eval' (the dashboard's) refuses;
    evaluate goes through the DevTools protocol, which the policy does not govern.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout / 1000
    while not await page.evaluate(expression, arg):
        if loop.time() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:.0f} s: {expression}")
        await asyncio.sleep(0.05)


def web_server(tmp_path_factory, **settings: str):
    """A daphne server (SQLite, in-memory layer, these settings) and a host-page server
    on another origin, until the generator is closed.

    The demo site allows the host pages' origin; `web.denied` is a host-page
    server on an origin the site does not allow.
    """
    tmp = tmp_path_factory.mktemp("web")
    env = base_env(tmp, **settings)
    prepare(env)
    pages = HostPages(tmp_path_factory.mktemp("pages"))
    denied = HostPages(tmp_path_factory.mktemp("denied"))
    server = Server(env, tmp).start()
    command(
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
    try:
        yield server
    finally:
        server.stop()
        pages.close()
        denied.close()
