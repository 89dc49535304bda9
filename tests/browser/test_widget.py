"""The visitor widget in a real Chromium, on a customer's page of another origin,
answered by the Python client's agent (a real aiortc peer).

Every test drives the widget through its test ids (the selectors other tests
use too) and checks what the visitor sees: the status in plain words and its
``data-state``, the explanation of failures, and real media measured with
``getStats`` in the browser and RTP byte counters on the Python side.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    CALL,
    WAIT_MS,
    WIDGET,
    browser_flow,
    click_when_ready,
    expect_state,
    host_page,
    host_page_html,
    open_page,
    screenshot,
    start_call,
    tid,
)
from tests.support.recorder import record

pytestmark = pytest.mark.browser


# --- helpers -------------------------------------------------------------------


async def answered_call(page, agent, media="audio", video=False):
    """Call from the widget, accept at the agent, wait until both are in the call."""
    await start_call(page, media)
    incoming = await agent.next_incoming(timeout=15)
    await incoming.accept(video=video)
    await incoming.wait_for_state("in_call", timeout=15)
    await expect_state(page, "in_call", "In call")
    return incoming


async def released(page):
    """True when the widget's call left nothing open: peer closed, devices off."""
    return await page.evaluate(
        f"""(() => {{
            const call = {CALL};
            const tracks = call.localStream ? call.localStream.getTracks() : [];
            return call.pc.signalingState === "closed"
                && tracks.every((t) => t.readyState === "ended");
        }})()"""
    )


async def in_viewport(locator, page):
    box = await locator.bounding_box()
    size = page.viewport_size
    assert box is not None, "not rendered"
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


# --- calls -------------------------------------------------------------------------


async def test_visitor_on_another_origin_calls_with_audio_and_the_python_agent_answers(
    web, chromium, alice
):
    page = await host_page(
        web,
        chromium,
        "audio.html",
        display_name="Ada",
        context_order="1042",
        queue="support",
        button_text="Call us",
    )
    await expect(tid(page, "call-button")).to_have_text("Call us")
    await start_call(page, "audio")

    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    assert incoming.media == "audio"
    assert incoming.to == "support@support.example.com"
    assert incoming.caller["anonymous"] is True
    assert incoming.caller["display_name"] == "Ada"
    assert incoming.caller["context"] == {"order": "1042", "page": web.pages.origin + "/audio.html"}

    await incoming.accept()
    await expect_state(page, "in_call", "In call")
    timer = tid(page, "timer")
    await expect(timer).to_be_visible()
    await expect(timer).to_have_text(re.compile(r"^00:0[1-9]$"), timeout=WAIT_MS)

    # Audio flows both ways: the agent's tone in the browser, the fake microphone at the agent.
    await browser_flow(page, "audio")
    await incoming.wait_for_media("audio", timeout=10)
    assert await page.evaluate(f"{CALL}.phone.login.identity") == incoming.caller["address"]

    await tid(page, "hangup").click()
    await expect_state(page, "ended", "Call ended. You ended the call.")
    await incoming.wait_for_state("ended", timeout=10)
    assert incoming.end_reason == "ended_by_remote"
    await expect(timer).to_be_hidden()
    assert await released(page)

    # Nothing but the page's origin and the call server: no CDN, no fonts, no trackers.
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in page.requests}
    assert origins <= {web.pages.origin, web.url}, origins
    assert not [line for line in page.logs if line.startswith("pageerror")], page.logs


async def test_video_call_shows_both_videos_and_the_visitor_turns_the_camera_off_and_on(
    web, chromium, alice
):
    page = await host_page(web, chromium, "video.html")
    incoming = await answered_call(page, alice, media="video", video=True)
    assert incoming.media == "video"

    remote, local = tid(page, "remote-video"), tid(page, "local-video")
    await expect(remote).to_be_visible(timeout=WAIT_MS)
    await expect(local).to_be_visible(timeout=WAIT_MS)
    await page.wait_for_function(
        f"""(() => {{
            const root = document.querySelector('{WIDGET}').shadowRoot;
            const remote = root.querySelector('[data-testid=remote-video]');
            const local = root.querySelector('[data-testid=local-video]');
            return remote.videoWidth > 0 && !remote.paused && local.videoWidth > 0;
        }})()""",
        timeout=WAIT_MS,
    )
    await expect(tid(page, "remote-video-off")).to_be_hidden()
    await expect(tid(page, "video")).to_have_attribute("aria-pressed", "true")
    await browser_flow(page, "video")
    await incoming.wait_for_media("video", timeout=10)
    await page.wait_for_timeout(500)  # let a few frames paint for the picture
    await screenshot(page, "widget-video-call")

    # Camera off: the agent is told, its video bytes stop, the camera is released.
    seen = record(incoming.client).mark(incoming)
    await click_when_ready(page, "video")
    await expect(tid(page, "video")).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    await record(incoming.client).event("call.media", incoming, after=seen, video=False)
    await incoming.wait_for_media("video", flowing=False, timeout=10)
    await expect(local).to_be_hidden()
    assert await page.evaluate(f"{CALL}.localStream.getVideoTracks()[0].readyState") == "ended"
    await incoming.wait_for_media("audio", timeout=10)  # the call goes on

    # Camera on again: a new camera track, video flows again at the agent.
    seen = record(incoming.client).mark(incoming)
    await click_when_ready(page, "video")
    await expect(tid(page, "video")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await record(incoming.client).event("call.media", incoming, after=seen, video=True)
    await incoming.wait_for_media("video", timeout=10)
    await expect(local).to_be_visible()

    await incoming.end()
    await expect_state(page, "ended", "Call ended. The other side ended the call.")
    assert await released(page)


async def test_video_call_answered_with_audio_only_shows_the_agents_camera_is_off(
    web, chromium, alice
):
    page = await host_page(web, chromium, "video-audio.html")
    incoming = await answered_call(page, alice, media="video", video=False)
    await expect(tid(page, "remote-video-off")).to_be_visible(timeout=WAIT_MS)
    await expect(tid(page, "remote-video")).to_be_hidden()
    await expect(tid(page, "local-video")).to_be_visible()
    await incoming.wait_for_media("video", timeout=10)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_agent_turns_its_video_off_and_on_and_media_keeps_flowing_both_ways(
    web, chromium, alice
):
    """The agent's re-offers come from aiortc: the browser must accept them and
    the agent must still hear and see the visitor afterwards."""
    page = await host_page(web, chromium, "agent-video.html")
    incoming = await answered_call(page, alice, media="video", video=True)
    remote = tid(page, "remote-video")
    await expect(remote).to_be_visible(timeout=WAIT_MS)

    await incoming.video_stop()
    await expect(tid(page, "remote-video-off")).to_be_visible(timeout=WAIT_MS)
    await expect(remote).to_be_hidden()
    await browser_flow(page, "video", flowing=False)
    await incoming.wait_for_media("audio", timeout=10)
    await incoming.wait_for_media("video", timeout=10)

    await incoming.video_start()
    await expect(tid(page, "remote-video-off")).to_be_hidden(timeout=WAIT_MS)
    await expect(remote).to_be_visible()
    await browser_flow(page, "video")
    await incoming.wait_for_media("audio", timeout=10)
    await incoming.wait_for_media("video", timeout=10)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_audio_call_can_start_video_from_the_widget(web, chromium, alice):
    page = await host_page(web, chromium, "audio-then-video.html")
    incoming = await answered_call(page, alice, media="audio")
    await expect(tid(page, "video")).to_have_attribute("aria-pressed", "false")
    await expect(tid(page, "remote-video-off")).to_be_hidden()  # nobody uses video yet
    seen = record(incoming.client).mark(incoming)
    await click_when_ready(page, "video")
    await expect(tid(page, "video")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await record(incoming.client).event("call.media", incoming, after=seen, video=True)
    await incoming.wait_for_media("video", timeout=10)
    await expect(tid(page, "local-video")).to_be_visible()
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)
    assert await released(page)


async def test_hold_from_the_widget_stops_media_both_ways_and_unhold_resumes_it(
    web, chromium, alice
):
    page = await host_page(web, chromium, "hold.html")
    incoming = await answered_call(page, alice)
    await browser_flow(page, "audio")
    await incoming.wait_for_media("audio", timeout=10)
    hold = tid(page, "hold")

    # The visitor holds: no media in either direction.
    await click_when_ready(page, "hold")
    await expect_state(page, "on_hold", "You put the call on hold")
    await expect(hold).to_have_attribute("aria-pressed", "true")
    await incoming.wait_for_state("remotely_held", timeout=10)
    await browser_flow(page, "audio", flowing=False)
    await incoming.wait_for_media("audio", flowing=False, timeout=10)
    await expect(tid(page, "timer")).to_be_visible()  # the call goes on

    await click_when_ready(page, "hold")
    await expect_state(page, "in_call", "In call")
    await expect(hold).to_have_attribute("aria-pressed", "false")
    await incoming.wait_for_state("in_call", timeout=10)
    await browser_flow(page, "audio")
    await incoming.wait_for_media("audio", timeout=10)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_hold_from_the_agent_and_double_hold(web, chromium, alice):
    page = await host_page(web, chromium, "agent-hold.html")
    incoming = await answered_call(page, alice)
    hold = tid(page, "hold")

    # The agent holds.
    await incoming.hold()
    await expect_state(page, "remotely_held", "The agent put you on hold")
    await expect(hold).to_have_attribute("aria-pressed", "false")
    await browser_flow(page, "audio", flowing=False)

    # Both hold, then the visitor lets go: still held by the agent.
    await click_when_ready(page, "hold")
    await expect_state(page, "on_double_hold")
    await expect(tid(page, "status")).to_contain_text("both")
    await incoming.wait_for_state("on_double_hold", timeout=10)
    await click_when_ready(page, "hold")
    await expect_state(page, "remotely_held", "The agent put you on hold")
    await incoming.wait_for_state("on_hold", timeout=10)

    await incoming.unhold()
    await expect_state(page, "in_call", "In call")
    await browser_flow(page, "audio")
    await incoming.wait_for_media("audio", timeout=10)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_mute_from_the_agent_shows_and_mute_from_the_widget_reaches_the_agent(
    web, chromium, alice
):
    page = await host_page(web, chromium, "mute.html")
    incoming = await answered_call(page, alice)
    remote_muted = tid(page, "remote-muted")
    await expect(remote_muted).to_be_hidden()

    await incoming.mute()
    await expect(remote_muted).to_be_visible(timeout=WAIT_MS)
    await expect(remote_muted).to_contain_text("muted")
    await browser_flow(page, "audio", flowing=False)
    await incoming.unmute()
    await expect(remote_muted).to_be_hidden(timeout=WAIT_MS)
    await browser_flow(page, "audio")

    mute = tid(page, "mute")
    await incoming.wait_for_media("audio", timeout=10)
    seen = record(incoming.client).mark(incoming)
    await click_when_ready(page, "mute")
    await expect(mute).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await record(incoming.client).event("call.media", incoming, after=seen, muted=True)
    assert (incoming.remote_muted, incoming.remote_video) == (True, False)
    await incoming.wait_for_media("audio", flowing=False, timeout=10)

    seen = record(incoming.client).mark(incoming)
    await click_when_ready(page, "mute")
    await expect(mute).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    await record(incoming.client).event("call.media", incoming, after=seen, muted=False)
    await incoming.wait_for_media("audio", timeout=10)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


# --- ringing, refusals and calling again --------------------------------------------


async def test_visitor_cancels_while_ringing_and_the_agents_call_ends_cancelled(
    web, chromium, alice
):
    page = await host_page(web, chromium, "cancel.html")
    await start_call(page, "audio")
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing", "Ringing… an agent will answer shortly.")
    await expect(tid(page, "status")).to_be_focused()  # not Cancel: Enter must not end it
    await screenshot(page, "widget-ringing")

    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)
    assert incoming.end_reason == "cancelled"
    await expect_state(page, "ended", "Call ended. You ended the call.")
    await expect(tid(page, "error")).to_be_hidden()
    assert await released(page)


async def test_agent_rejects_a_direct_call_and_the_widget_explains(web, chromium, alice):
    page = await host_page(web, chromium, "reject.html", queue="alice@support.example.com")
    await start_call(page, "audio")
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await incoming.reject()
    await expect_state(page, "ended", "Call ended")
    error = tid(page, "error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("The call was declined.")
    await expect(error).to_contain_text("try again later")
    assert await released(page)


async def states_seen(page):
    """Record every data-state the widget's status takes from now on."""
    await page.evaluate(
        f"""(() => {{
            const status = document.querySelector('{WIDGET}').shadowRoot
                .querySelector('[data-testid=status]');
            window.seenStates = [status.dataset.state];
            new MutationObserver(() => {{
                const s = status.dataset.state;
                if (window.seenStates.at(-1) !== s) window.seenStates.push(s);
            }}).observe(status, {{ attributes: true, attributeFilter: ["data-state"] }});
        }})()"""
    )


@pytest.mark.parametrize("decline", ["reject", "ignore"])
async def test_the_only_agent_declining_a_queue_call_tells_the_caller_at_once_and_offers_a_callback(
    web, chromium, alice, decline
):
    page = await host_page(web, chromium, f"decline-{decline}.html")
    await states_seen(page)
    await start_call(page, "audio")
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await getattr(incoming, decline)()
    await expect_state(page, "ended", "Call ended")
    error = tid(page, "error")
    await expect(error).to_have_text(
        "No agent is available right now. Please try again in a few minutes."
    )
    await expect(tid(page, "callback-offer")).to_be_visible()
    # Never "You are next in line" for nobody: straight from ringing to ended.
    assert await page.evaluate("window.seenStates") == [
        "idle",
        "connecting",
        "initiated",
        "ringing",
        "ended",
    ]
    assert await page.evaluate(f"{CALL}.reason") == "no_agents"
    assert await released(page)


async def test_no_agent_online_is_explained_before_calling(web, chromium):
    page = await host_page(web, chromium, "no-agents.html")
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text("Call support (no agent available)", timeout=WAIT_MS)
    await launcher.click()
    await expect_state(page, "idle", "No agent is available right now.")
    await expect(tid(page, "choose-audio")).to_have_attribute("aria-disabled", "true")
    # The offer of a callback instead has the focus.
    await expect(tid(page, "callback-offer")).to_be_focused()


async def test_no_agent_left_when_calling_is_explained(web, chromium, alice):
    page = await host_page(web, chromium, "no-agents-left.html")
    await expect(tid(page, "call-button")).to_have_text("Call support", timeout=WAIT_MS)
    # The line looked open when the page asked, then nobody was left.
    await expect(tid(page, "call-button")).to_have_attribute("data-line", "open", timeout=WAIT_MS)
    await alice.close()
    await start_call(page, "audio")
    await expect_state(page, "ended", "Call ended")
    error = tid(page, "error")
    await expect(error).to_contain_text("No agent is available right now.")
    await expect(error).to_contain_text("try again in a few minutes")
    assert await page.evaluate(f"{CALL}.reason") == "no_agents"
    assert await released(page)


async def test_visitor_calls_again_after_a_call_ended_with_a_new_login(web, chromium, alice):
    page = await host_page(web, chromium, "again.html")
    first = await answered_call(page, alice)
    await first.end()
    await expect_state(page, "ended", "Call ended. The other side ended the call.")
    await expect(tid(page, "choose-audio")).to_be_focused()

    await tid(page, "call-button").click()
    await expect_state(page, "idle")
    await tid(page, "choose-audio").click()
    second = await alice.next_incoming(timeout=15)
    assert second.call_id != first.call_id
    assert second.caller["address"] != first.caller["address"]  # tokens are single-use
    await second.accept()
    await expect_state(page, "in_call", "In call")
    await browser_flow(page, "audio")

    # And again straight from the ended panel's own button.
    await tid(page, "hangup").click()
    await expect_state(page, "ended")
    await tid(page, "choose-audio").click()
    third = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await tid(page, "hangup").click()
    await third.wait_for_state("ended", timeout=10)


async def test_a_fixed_media_widget_calls_from_the_launcher_and_offers_to_call_again(
    web, chromium, alice
):
    page = await host_page(web, chromium, "fixed.html", media="audio")
    await tid(page, "call-button").click()
    incoming = await alice.next_incoming(timeout=15)
    assert incoming.media == "audio"
    await expect_state(page, "ringing")
    await expect(tid(page, "choose-audio")).to_be_hidden()
    await expect(tid(page, "choose-video")).to_be_hidden()
    await tid(page, "hangup").click()
    await expect_state(page, "ended")
    await incoming.wait_for_state("ended", timeout=10)
    await tid(page, "call-again").click()
    again = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await tid(page, "hangup").click()
    await again.wait_for_state("ended", timeout=10)


# --- failures ---------------------------------------------------------------------------


async def test_microphone_denied_is_explained_and_no_call_is_created(web, chromium, alice):
    page = await host_page(web, chromium, "denied-mic.html", grant_media=False)
    await start_call(page, "audio")
    await expect_state(page, "error")
    error = tid(page, "error")
    await expect(error).to_contain_text("blocked the microphone")
    await expect(error).to_contain_text("Allow")
    await expect(tid(page, "hangup")).to_be_hidden()
    await expect(tid(page, "choose-audio")).to_be_focused()
    # The WebSocket opened for the attempt is closed, and no call ever existed.
    assert await page.evaluate(f"document.querySelector('{WIDGET}').phone") is None
    assert await page.evaluate(CALL) is None
    await asyncio.sleep(0.5)  # a call.incoming would have overtaken the error by far
    assert not [e for e in record(alice).events if e.get("type") == "call.incoming"]


async def test_camera_denied_for_a_video_call_is_explained(web, chromium, alice):
    page = await host_page(web, chromium, "denied-camera.html", grant_media=False)
    await start_call(page, "video")
    await expect_state(page, "error")
    await expect(tid(page, "error")).to_contain_text("blocked the camera and microphone")
    assert not [e for e in record(alice).events if e.get("type") == "call.incoming"]


async def test_a_page_on_an_origin_the_site_does_not_allow_is_refused_clearly(web, chromium):
    url = web.denied.page("denied.html", host_page_html(web.url))
    page = await open_page(chromium, url)
    await start_call(page, "audio")
    await expect_state(page, "error", "The call could not start")
    await expect(tid(page, "error")).to_contain_text("Calls are not enabled on this page")
    assert await page.evaluate(f"document.querySelector('{WIDGET}').phone") is None


async def test_a_dropped_connection_resumes_and_the_call_goes_on(web, chromium, alice):
    page = await host_page(web, chromium, "network.html")
    incoming = await answered_call(page, alice)
    await page.evaluate(f"{CALL}.phone.ws.close(4000)")  # as when the network drops
    for _ in range(100):
        if record(alice).remote_connection(incoming) == ["reconnecting", "connected"]:
            break
        await asyncio.sleep(0.1)
    assert record(alice).remote_connection(incoming) == ["reconnecting", "connected"]
    await expect_state(page, "in_call", "In call")
    await expect(tid(page, "reconnecting")).to_be_hidden()
    await browser_flow(page, "audio")
    await incoming.end()
    await expect_state(page, "ended")
    assert await released(page)


# --- small screens, isolation (the keyboard: test_widget_keyboard.py) --------------


async def test_phone_sized_screen_shows_the_whole_widget(web, chromium, alice):
    phone = {"width": 375, "height": 667}
    page = await host_page(web, chromium, "phone.html", viewport=phone)
    assert await in_viewport(tid(page, "call-button"), page)
    await tid(page, "call-button").click()
    for name in ("choose-audio", "choose-video", "close"):
        assert await in_viewport(tid(page, name), page), name

    await tid(page, "choose-video").click()
    incoming = await alice.next_incoming(timeout=15)
    await incoming.accept(video=True)
    await expect_state(page, "in_call")
    await expect(tid(page, "remote-video")).to_be_visible(timeout=WAIT_MS)
    controls = ("status", "timer", "mute", "video", "hold", "hangup")
    for name in (*controls, "remote-video", "local-video"):
        assert await in_viewport(tid(page, name), page), name
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_host_page_css_and_widget_css_do_not_meet(web, chromium):
    page = await host_page(web, chromium, "styles.html")
    button = tid(page, "call-button")
    background = await button.evaluate("b => getComputedStyle(b).backgroundColor")
    font = await button.evaluate("b => getComputedStyle(b).fontFamily")
    size = await button.evaluate("b => getComputedStyle(b).fontSize")
    assert background != "rgb(255, 0, 0)"
    assert "serif" not in font.replace("sans-serif", "")
    assert size != "40px"

    await tid(page, "call-button").click()
    await expect(tid(page, "choose-audio")).to_be_visible()
    await page.wait_for_timeout(300)  # the panel's entrance animation
    await screenshot(page, "widget-idle")

    # The host's own buttons and fonts are as the host styled them.
    await page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<button id=own>Buy</button>')"
    )
    own = page.locator("#own")
    assert await own.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 0, 0)"
    assert await own.evaluate("b => getComputedStyle(b).fontSize") == "40px"
    assert await page.evaluate("getComputedStyle(document.body).fontFamily") == "serif"
    # The widget added one element and no stylesheet to the document.
    assert await page.evaluate("document.styleSheets.length") == 1
    assert await page.evaluate(f"document.querySelectorAll('{WIDGET}').length") == 1
    assert await page.evaluate(f"document.querySelector('{WIDGET}').shadowRoot.mode") == "open"


async def test_a_page_with_the_tag_twice_gets_one_working_widget(web, chromium, alice):
    # Each tag runs the loader; the first to load defines and places the widget.
    page = await host_page(web, chromium, "twice.html", tags=2)
    await page.wait_for_load_state("networkidle")
    assert await page.evaluate(f"document.querySelectorAll('{WIDGET}').length") == 1
    problems = [log for log in page.logs if log.startswith("pageerror") or "supportcall" in log]
    assert problems == []
    incoming = await answered_call(page, alice)
    await tid(page, "hangup").click()
    await incoming.wait_for_state("ended", timeout=10)


async def test_demo_page_embeds_the_widget(web, chromium):
    page = await open_page(chromium, web.url + "/")
    await expect(page.get_by_role("link", name="Admin")).to_be_visible()
    await tid(page, "call-button").click()
    await expect(tid(page, "choose-audio")).to_be_visible()
    await expect_state(page, "idle")
