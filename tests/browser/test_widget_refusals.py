"""The widget when the server refuses or fails: each cause in its own plain words.

A WebSocket closed before the server's ``hello`` (a refused origin 4403, an
expired or used token 4401, a server error 1011, a port where nothing listens),
a site or a line the tag names that does not exist, the server going away in
the middle of a call, and a callback request with a bad email address.
"""

from __future__ import annotations

import re
import socket

import pytest
from playwright.async_api import expect

from supportcall.client import Agent
from tests.support.browser import (
    WAIT_MS,
    WIDGET,
    expect_state,
    host_page,
    open_page,
    start_call,
    tid,
)
from tests.support.recorder import record
from tests.support.servers import Server, base_env, command, prepare
from tests.support.wire import Wire

pytestmark = pytest.mark.browser

CALLS_SOCKET = re.compile(r"/ws/v1/calls")


def closed_port() -> int:
    """A local port where nothing listens (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def rewrite_login(page, **changes) -> None:
    """The widget's login answers as the server does, with ``changes`` to its body."""

    async def handle(route):
        response = await route.fetch()
        body = {**await response.json(), **changes}
        await route.fulfill(response=response, json=body)

    await page.route("**/api/v1/anonymous-login", handle)


async def close_socket_with(page, code: int) -> None:
    """The call WebSocket opens, then the 'server' closes it with ``code`` before hello."""

    async def handle(ws):
        await ws.close(code=code, reason="refused by the test")

    await page.route_web_socket(CALLS_SOCKET, handle)


async def could_not_start(page, explanation: str) -> None:
    """The widget's whole story of a call that could not start: connecting, then the
    error in plain words, nothing left open, and the choices back."""
    await expect_state(page, "error", "The call could not start")
    error = tid(page, "error")
    await expect(error).to_have_text(explanation, timeout=WAIT_MS)
    assert "[object" not in (await error.text_content() or "")
    assert await page.evaluate(f"document.querySelector('{WIDGET}').phone") is None
    await expect(tid(page, "choose-audio")).to_be_focused()
    await expect(tid(page, "hangup")).to_be_hidden()


async def test_a_websocket_refused_for_the_pages_origin_says_calls_are_not_enabled_here(
    web, chromium, alice
):
    page = await host_page(web, chromium, "ws-4403.html")
    await close_socket_with(page, 4403)
    await start_call(page)
    await could_not_start(
        page,
        "Calls are not enabled on this page. The site's owner has not allowed support calls"
        " from this address.",
    )


async def test_a_login_already_used_says_to_call_again(web, chromium, alice):
    """The widget's own login token, real and issued for it, is used up by another
    connection before the widget's WebSocket presents it: the server refuses it 4401."""
    page = await host_page(web, chromium, "ws-4401.html")
    used: list[dict] = []

    async def use_first(route):
        response = await route.fetch()
        body = await response.json()
        wire = await Wire.with_token(web.url, body["token"], origin=web.pages.origin)
        used.append(wire.hello)
        await wire.close()
        await route.fulfill(response=response, json=body)

    await page.route("**/api/v1/anonymous-login", use_first)
    await start_call(page)
    await could_not_start(
        page, "The call's login expired before it could be used. Please call again."
    )
    assert [hello["type"] for hello in used] == ["hello"]  # it was good, once


async def test_a_server_error_on_the_websocket_says_the_service_is_having_trouble(
    web, chromium, alice
):
    page = await host_page(web, chromium, "ws-1011.html")
    await close_socket_with(page, 1011)
    await start_call(page)
    await could_not_start(
        page,
        "The support service is having trouble right now. Please try again in a few minutes.",
    )


async def test_a_websocket_port_where_nothing_listens_says_the_server_cannot_be_reached(
    web, chromium, alice
):
    page = await host_page(web, chromium, "ws-closed.html")
    await rewrite_login(page, ws_url=f"ws://127.0.0.1:{closed_port()}/ws/v1/calls")
    await start_call(page)
    await could_not_start(
        page, "The support server could not be reached. Check your connection and try again."
    )


# --- what the tag names ------------------------------------------------------------


async def test_an_unknown_site_says_support_is_not_set_up_not_that_the_address_is_refused(
    web, chromium
):
    url = web.pages.page(
        "unknown-site.html",
        f'<!doctype html><html lang="en"><head><title>Shop</title></head><body>'
        f'<script src="{web.url}/static/supportcall/widget.js" data-site="no-such-site" async>'
        "</script></body></html>",
    )
    page = await open_page(chromium, url)
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text("Call support (unavailable)", timeout=WAIT_MS)
    await launcher.click()
    await expect_state(page, "idle", "Support is not set up on this page.")
    await expect(tid(page, "error")).to_have_text(
        "This support line is not set up: the site named on this page is unknown."
        " Please tell the site's owner."
    )
    await expect(tid(page, "choose-audio")).to_have_attribute("aria-disabled", "true")
    await expect(tid(page, "callback-offer")).to_be_hidden()
    assert "not allowed" not in (await tid(page, "error").text_content() or "")


async def test_an_unknown_queue_shows_the_line_unavailable_before_calling(web, chromium):
    page = await host_page(web, chromium, "unknown-queue.html", queue="no-such-queue")
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text("Call support (unavailable)", timeout=WAIT_MS)
    await launcher.click()
    await expect_state(page, "idle", "This support line does not exist.")
    await expect(tid(page, "error")).to_have_text(
        "This support line does not exist. Please tell the site's owner."
    )
    await expect(tid(page, "choose-audio")).to_have_attribute("aria-disabled", "true")
    await tid(page, "choose-audio").click(force=True)
    await expect_state(page, "idle")  # a disabled choice calls nobody


async def test_an_agent_named_in_data_queue_is_a_line_of_its_own(web, chromium, alice):
    page = await host_page(web, chromium, "agent-line.html", queue="alice")
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_attribute("data-line", "open", timeout=WAIT_MS)
    await expect(launcher).to_have_text("Call support")


# --- the server going away mid-call ----------------------------------------------------


@pytest.fixture
def own_server(tmp_path, web):
    """A server of this test's own, that the test may stop (the host pages are web's)."""
    env = {**base_env(tmp_path), "SUPPORTCALL_RESUME_GRACE": "3"}
    prepare(env)
    server = Server(env, tmp_path).start()
    command(env, "create_site", "demo", "--origin", web.pages.origin, "--queue", "support")
    server.password = web.password
    server.pages = web.pages
    yield server
    server.stop()


async def test_the_server_going_away_mid_call_says_the_service_failed_not_the_visitors_internet(
    own_server, chromium
):
    alice = Agent(own_server.url, "alice", own_server.password)
    record(alice)
    await alice.connect()
    page = await host_page(own_server, chromium, "outage.html")
    await start_call(page)
    incoming = await alice.next_incoming(timeout=15)
    await incoming.accept()
    await expect_state(page, "in_call")
    own_server.stop()
    await expect_state(page, "ended", "Call ended")
    error = tid(page, "error")
    await expect(error).to_have_text(
        "The support service is having trouble, so the call was cut off."
        " Please call again in a few minutes.",
        timeout=WAIT_MS * 3,
    )
    assert "internet" not in (await error.text_content() or "")
    await alice.close()
