"""phone.js in real Chromium: a dropped WebSocket resumes and the call goes on."""

from __future__ import annotations

import asyncio

import pytest

from supportcall.client import Agent
from tests.support.browser import wait_true
from tests.support.recorder import record
from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SETUP = """async (server) => {
  const { Phone } = await import(server + "/static/supportcall/phone.js");
  window.seen = [];
  const phone = await Phone.visitor(server, { site: "demo" });
  for (const name of ["reconnecting", "reconnected", "closed"]) {
    phone.addEventListener(name, () => window.seen.push(name));
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  window.phone = phone;
  window.call = await phone.call({ media: "audio", stream });
  return window.call.id;
}"""


async def until_true(page, expression: str, timeout: float = 20) -> None:
    # The page is one of the server's, under its Content-Security-Policy (no eval).
    await wait_true(page, expression, timeout=timeout * 1000)


async def test_phone_js_resumes_a_dropped_websocket_and_the_call_goes_on(web, chromium):
    alice = Agent(web.url, "alice", DEMO_PASSWORD)
    record(alice)
    await alice.connect()
    browser = await chromium()
    page = await browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        await page.goto(web.url + "/api/v1/health")
        call_id = await page.evaluate(SETUP, web.url)
        incoming = await alice.next_incoming(timeout=20)
        assert incoming.call_id == call_id
        await incoming.accept()
        await until_true(page, "window.call.state === 'in_call'")
        await until_true(page, "window.call.inboundBytes().then(b => b.audio > 0)")

        # The WebSocket drops (a close the page did not ask for).
        await page.evaluate("window.phone.ws.close(4000)")
        try:
            await until_true(page, "window.seen.join() === 'reconnecting,reconnected'")
        except Exception:
            raise AssertionError((await page.evaluate("window.seen"), console)) from None
        for _ in range(100):
            if record(alice).remote_connection(incoming) == ["reconnecting", "connected"]:
                break
            await asyncio.sleep(0.1)
        assert record(alice).remote_connection(incoming) == ["reconnecting", "connected"]
        # Media kept flowing, the call's state history has no gap, and signaling works.
        before = await page.evaluate("window.call.inboundBytes().then(b => b.audio)")
        await asyncio.sleep(1)
        assert await page.evaluate("window.call.inboundBytes().then(b => b.audio)") > before
        assert await page.evaluate("window.call.states") == ["initiated", "ringing", "in_call"]
        result = await page.evaluate("window.call.hold()")
        assert result["ok"] is True, result
        await incoming.wait_for_state("remotely_held", timeout=10)
        await page.evaluate("window.call.end()")
        await incoming.wait_for_state("ended", timeout=10)
        assert incoming.end_reason == "ended_by_remote"
    finally:
        await page.close()
        await alice.close()
