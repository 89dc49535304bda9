"""The visitor's screen through phone.js in real Chromium (Debian's headless Chromium
captures a fake screen with --use-fake-ui-for-media-stream: 1280x720, frames moving).

The other side is the Python client with real aiortc media, which counts the screen's
decoded frames apart from the camera's: a browser visitor sharing, stopped from the
browser's own "Stop sharing" and at the agent's request, a browser without
getDisplayMedia reporting not_supported; and a browser agent playing a screen.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from supportcall.client import Agent, Visitor, wait_for_flow
from supportcall.client.media import SyntheticVideoTrack
from tests.support.browser import (
    WAIT_MS,
    expect_state,
    host_page,
    in_progress,
    log_in,
    start_call,
    tid,
    wait_true,
)
from tests.support.browser import incoming as incoming_card
from tests.support.recorder import record
from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.browser

# A visitor page on the server's origin (a secure context: 127.0.0.1). What the widget
# does with an ask: "Share" calls shareScreen(); a stop request stops the share.
VISITOR = """async ([server, share]) => {
  const { Phone } = await import(server + "/static/supportcall/phone.js");
  window.seen = [];
  window.results = [];
  const phone = await Phone.visitor(server, { site: "demo" });
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const call = await phone.call({ media: "audio", stream });
  call.addEventListener("screen.asked", async () => {
    window.seen.push("screen.asked");
    if (share) window.results.push(await call.shareScreen());
  });
  call.addEventListener("screen.stop_request", async () => {
    window.seen.push("screen.stop_request");
    window.results.push(await call.screenStop());
  });
  window.call = call;
  return call.id;
}"""

AGENT = """async ([server, csrfToken]) => {
  const { Phone } = await import(server + "/static/supportcall/phone.js");
  window.seen = [];
  const phone = await Phone.agent(server, { csrfToken });
  await phone.setPresence("available");
  window.phone = phone;
  phone.addEventListener("incoming", async (event) => {
    const call = event.detail;
    window.call = call;
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    window.screenVideo = video;
    call.addEventListener("screen", (e) => window.seen.push(`screen ${e.detail.sharing}`));
    call.addEventListener("screen-track", () => { video.srcObject = call.screenStream; });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    await call.accept({ stream });
  });
  return true;
}"""


async def open_page(web, chromium):
    browser = await chromium()
    page = await browser.new_page()
    await page.goto(web.url + "/api/v1/health")
    return page


async def until(page, expression, timeout=20):
    await wait_true(page, expression, timeout=timeout * 1000)


@pytest.fixture
async def later():
    """``later(close)``: awaited at the end of the test, the last first."""
    closers = []
    yield closers.append
    for close in reversed(closers):
        await close()


async def alice_online(web, later):
    """Alice, the Python client, online and available."""
    alice = Agent(web.url, "alice", DEMO_PASSWORD)
    record(alice)
    await alice.connect()
    later(alice.close)
    await alice.set_presence("available")
    return alice


async def answered_browser_visitor(web, chromium, later, share=True):
    alice = await alice_online(web, later)
    page = await open_page(web, chromium)
    later(page.close)
    await page.evaluate(VISITOR, [web.url, share])
    incoming = await alice.next_incoming(timeout=20)
    await incoming.accept()
    await until(page, "window.call.state === 'in_call'")
    return alice, page, incoming


async def screen_frames(call, flowing=True):
    how = {} if flowing else {"flowing": False, "window": 0.8}
    return await wait_for_flow(lambda: call.frames_received, "screen", timeout=15, **how)


async def test_a_browser_shares_its_screen_frames_reach_the_agent_and_its_stop_sharing_stops_it(
    web, chromium, later
):
    alice, page, incoming = await answered_browser_visitor(web, chromium, later)
    await incoming.ask_screen()

    await until(page, "window.results.length === 1")
    assert await page.evaluate("window.results") == [
        {"op": "screen_start", "ok": True, "code": None, "message": None}
    ]
    await incoming.wait_for(lambda: incoming.remote_screen, timeout=10)
    assert await screen_frames(incoming) > 0
    assert incoming.frames_received["video"] == 0  # the screen is not the camera
    # The browser's own "Stop sharing": the capture track ends.
    await page.evaluate("window.call.screenTrack.dispatchEvent(new Event('ended'))")
    await incoming.wait_for(lambda: not incoming.remote_screen, timeout=10)
    await until(page, "window.call.sharingScreen === false")
    await screen_frames(incoming, flowing=False)

    # Again, then stopped at the agent's request.
    await incoming.ask_screen()
    await until(page, "window.results.length === 2 && window.results[1].ok")
    await screen_frames(incoming)
    await incoming.ask_screen_stop()
    await until(page, "window.results.length === 3 && window.results[2].ok")
    await incoming.wait_for(lambda: not incoming.remote_screen, timeout=10)
    assert await page.evaluate("window.seen") == [
        "screen.asked",
        "screen.asked",
        "screen.stop_request",
    ]
    sharing = [
        e["sharing"] for e in record(alice).call_events(incoming) if e["type"] == "call.screen"
    ]
    assert sharing == [True, False, True, False]
    assert await page.evaluate("window.call.states") == ["initiated", "ringing", "in_call"]


async def test_a_browser_without_get_display_media_tells_the_agent_not_supported(
    web, chromium, later
):
    alice, page, incoming = await answered_browser_visitor(web, chromium, later)
    # What a mobile browser looks like to the page.
    await page.evaluate(
        "Object.defineProperty(navigator.mediaDevices, 'getDisplayMedia', {value: undefined})"
    )
    await incoming.ask_screen()

    await until(page, "window.results.length === 1")
    result = (await page.evaluate("window.results"))[0]
    assert (result["ok"], result["code"]) == (False, "not_supported")
    await record(alice).event("screen.declined", incoming, reason="not_supported")
    assert incoming.screen_declined == "not_supported"
    assert incoming.remote_screen is False
    # The refused share added nothing: the call's next re-offer keeps its two m-lines.
    assert (await page.evaluate("window.call.hold()"))["ok"] is True
    await incoming.wait_for_state("remotely_held", timeout=10)


async def test_a_browser_agent_plays_the_visitors_screen_apart_from_the_call(web, chromium, later):
    browser = await chromium()
    page = await browser.new_page()
    later(page.close)
    visitor = Visitor(web.url, site="demo")
    later(visitor.close)
    await log_in(page, web, "alice")
    token = page.locator('meta[name="csrf-token"]')
    await token.wait_for(state="attached", timeout=20_000)
    csrf = await token.get_attribute("content")
    await page.goto(web.url + "/api/v1/health")  # the dashboard's own phone leaves
    await page.evaluate(AGENT, [web.url, csrf])
    await visitor.connect()
    call = await visitor.call(media="audio")
    await call.wait_for_state("in_call", timeout=20)

    await call.screen_start(SyntheticVideoTrack())

    await until(page, "window.seen.join() === 'screen true'")
    await until(page, "window.screenVideo.videoWidth > 0")
    frames = await page.evaluate("window.screenVideo.getVideoPlaybackQuality().totalVideoFrames")
    await until(
        page, f"window.screenVideo.getVideoPlaybackQuality().totalVideoFrames > {frames + 10}"
    )
    assert await page.evaluate("window.call.remoteStream.getVideoTracks().length") == 0
    await call.screen_stop()
    await until(page, "window.seen.join() === 'screen true,screen false'")


# --- the widget ---------------------------------------------------------------------


async def widget_answered(web, chromium, later, name):
    """A visitor calls from the widget on a customer's page; Alice (the Python client)
    answers."""
    alice = await alice_online(web, later)
    page = await host_page(web, chromium, name)
    later(page.close)
    await start_call(page, "audio")
    incoming = await alice.next_incoming(timeout=20)
    await incoming.accept()
    await expect_state(page, "in_call")
    return alice, page, incoming


async def test_the_widget_shows_the_ask_shares_with_a_banner_and_stops_from_it_or_the_agent(
    web, chromium, later
):
    alice, page, incoming = await widget_answered(web, chromium, later, "screen-share.html")
    ask, banner = tid(page, "screen-ask"), tid(page, "screen-banner")
    await expect(ask).to_be_hidden()
    await incoming.ask_screen()

    await expect(ask).to_be_visible(timeout=WAIT_MS)
    await expect(ask).to_contain_text("The agent asks to see your screen.")
    await tid(page, "screen-share").focus()
    await page.keyboard.press("Enter")  # by keyboard
    await expect(banner).to_be_visible(timeout=WAIT_MS)
    await expect(banner).to_contain_text("You are sharing your screen")
    await expect(ask).to_be_hidden()
    await incoming.wait_for(lambda: incoming.remote_screen, timeout=10)
    assert await screen_frames(incoming) > 0

    await tid(page, "screen-stop").click()  # the visitor stops from the widget
    await expect(banner).to_be_hidden(timeout=WAIT_MS)
    await incoming.wait_for(lambda: not incoming.remote_screen, timeout=10)

    await incoming.ask_screen()
    await tid(page, "screen-share").click()
    await expect(banner).to_be_visible(timeout=WAIT_MS)
    await incoming.wait_for(lambda: incoming.remote_screen, timeout=10)
    await incoming.ask_screen_stop()  # the agent's "Stop viewing"
    await expect(banner).to_be_hidden(timeout=WAIT_MS)
    await incoming.wait_for(lambda: not incoming.remote_screen, timeout=10)
    sharing = [
        e["sharing"] for e in record(alice).call_events(incoming) if e["type"] == "call.screen"
    ]
    assert sharing == [True, False, True, False]
    await expect(tid(page, "error")).to_be_hidden()


async def test_the_widget_says_in_plain_words_when_the_browser_cannot_share(web, chromium, later):
    alice, page, incoming = await widget_answered(web, chromium, later, "screen-unsupported.html")
    await page.evaluate(
        "Object.defineProperty(navigator.mediaDevices, 'getDisplayMedia', {value: undefined})"
    )
    await incoming.ask_screen()
    await tid(page, "screen-share").click()

    await expect(tid(page, "error")).to_contain_text(
        "This browser cannot share a screen", timeout=WAIT_MS
    )
    await record(alice).event("screen.declined", incoming, reason="not_supported")
    await expect(tid(page, "screen-banner")).to_be_hidden()


async def test_not_now_tells_the_agent_the_visitor_declined(web, chromium, later):
    alice, page, incoming = await widget_answered(web, chromium, later, "screen-not-now.html")
    await incoming.ask_screen()
    await tid(page, "screen-not-now").click()

    await record(alice).event("screen.declined", incoming, reason="declined")
    await expect(tid(page, "screen-ask")).to_be_hidden(timeout=WAIT_MS)
    assert incoming.remote_screen is False


# --- the dashboard ------------------------------------------------------------------


async def test_the_dashboard_asks_shows_the_screen_large_and_stops_viewing(dashboards, visitors):
    page = await dashboards("alice")
    visitor = await visitors()
    call = await visitor.call(media="audio")
    await incoming_card(page, call).get_by_test_id("accept-audio").click()
    await call.wait_for_state("in_call", timeout=20)
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    stage, video = panel.get_by_test_id("screen-stage"), panel.get_by_test_id("screen-video")
    await expect(stage).to_be_hidden()

    await panel.get_by_test_id("ask-screen").click()

    await call.wait_for(lambda: call.screen_asked == "share", timeout=10)
    await call.screen_start(SyntheticVideoTrack())
    await expect(stage).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("ask-screen")).to_be_hidden()
    await wait_true(
        page, "document.querySelector('[data-testid=screen-video]').videoWidth > 0", WAIT_MS
    )
    playing = "document.querySelector('[data-testid=screen-video]').getVideoPlaybackQuality()"
    frames = await page.evaluate(f"{playing}.totalVideoFrames")
    await wait_true(page, f"{playing}.totalVideoFrames > {frames + 10}", WAIT_MS)
    assert await video.evaluate("v => v.srcObject.getVideoTracks().length") == 1

    await panel.get_by_test_id("stop-viewing").click()

    await call.wait_for(lambda: call.screen_asked == "stop", timeout=10)
    await call.screen_stop()  # what the widget does on screen.stop_request
    await expect(stage).to_be_hidden(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("ask-screen")).to_be_visible()
    await expect(panel.get_by_test_id("stop-viewing")).to_be_hidden()


async def test_the_dashboard_says_when_the_visitor_declined_or_cannot(dashboards, visitors):
    page = await dashboards("alice")
    visitor = await visitors()
    call = await visitor.call(media="audio")
    await incoming_card(page, call).get_by_test_id("accept-audio").click()
    await call.wait_for_state("in_call", timeout=20)
    panel = in_progress(page, call, "in_call")

    await panel.get_by_test_id("ask-screen").click()
    await call.wait_for(lambda: call.screen_asked == "share", timeout=10)
    await call.decline_screen("not_supported")

    toast = page.get_by_test_id("result")
    await expect(toast).to_contain_text(
        "The visitor's browser cannot share a screen.", timeout=WAIT_MS
    )
    await panel.get_by_test_id("ask-screen").click()
    await call.wait_for(lambda: call.screen_asked == "share", timeout=10)
    await call.decline_screen()
    await expect(toast).to_contain_text(
        "The visitor declined to share the screen.", timeout=WAIT_MS
    )
    # Asking again at once, unanswered: refused in plain words.
    await panel.get_by_test_id("ask-screen").click()
    await panel.get_by_test_id("ask-screen").click()
    await expect(toast).to_contain_text("That did not work", timeout=WAIT_MS)


async def test_a_refused_browser_share_leaves_the_calls_m_lines_as_they_were(web, chromium, later):
    _alice, page, incoming = await answered_browser_visitor(web, chromium, later, share=False)
    await incoming.hold()
    await until(page, "window.call.state === 'remotely_held'")

    result = await page.evaluate("window.call.shareScreen()")  # held: not now

    assert (result["ok"], result["code"]) == (False, "invalid_state")
    assert await page.evaluate("window.call.pc.getTransceivers().length") == 2
    await until(page, "window.call.sharingScreen === false && !window.call.screenTrack")
    await incoming.unhold()
    await until(page, "window.call.state === 'in_call'")
    # The stopped transceiver is left out of the next offers: the server takes them.
    held = await page.evaluate("window.call.hold()")
    assert held["ok"] is True, held
    unheld = await page.evaluate("window.call.unhold()")
    assert unheld["ok"] is True, unheld
    shared = await page.evaluate("window.call.shareScreen()")
    assert shared["ok"] is True, shared
    await incoming.wait_for(lambda: incoming.remote_screen, timeout=10)
    assert await screen_frames(incoming) > 0
