"""A visitor's widget on a customer's page and an agent's dashboard, both in Chromium.

Everything the issue asks of the product in a real browser on both sides: the
call, media measured with getStats on both sides, video, hold (from each side,
and both), mute, and the ways a ringing call ends.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    BOB,
    PHONE,
    WAIT_MS,
    browser_flow,
    click_when_ready,
    expect_state,
    in_progress,
    incoming,
    page_media,
    result,
    tid,
    wait_true,
    widget_calls,
)

pytestmark = pytest.mark.browser


async def answered(web, chromium, dashboards, name, media="audio", button="accept-audio"):
    agent = await dashboards("alice")
    visitor, call = await widget_calls(web, chromium, name, media)
    await incoming(agent, call).get_by_test_id(button).click()
    await expect_state(visitor, "in_call", "In call")
    await expect(in_progress(agent, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    return agent, visitor, call


async def flows(agent, visitor, call, kind="audio", flowing=True):
    await browser_flow(visitor, kind, flowing=flowing)
    await page_media(agent, call, kind, flowing=flowing)


async def test_a_widget_call_answered_in_the_dashboard_carries_audio_both_ways(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "b2b-audio.html")
    await flows(agent, visitor, call)
    await expect(tid(visitor, "timer")).to_be_visible()
    await expect(in_progress(agent, call).get_by_test_id("timer")).to_be_visible()
    await click_when_ready(visitor, "hangup")
    await expect_state(visitor, "ended")
    await expect(in_progress(agent, call)).to_have_attribute("data-state", "ended", timeout=WAIT_MS)


async def test_video_both_ways_then_off_and_on_again_from_each_side(web, chromium, dashboards):
    agent, visitor, call = await answered(
        web, chromium, dashboards, "b2b-video.html", "video", "accept-video"
    )
    await flows(agent, visitor, call, "video")
    await click_when_ready(visitor, "video")  # the visitor's camera off
    await expect(tid(visitor, "video")).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    await page_media(agent, call, "video", flowing=False)
    await click_when_ready(visitor, "video")  # and on again
    await page_media(agent, call, "video")
    panel = in_progress(agent, call)
    await panel.get_by_test_id("video").click()  # the agent's camera off
    await expect(tid(visitor, "remote-video-off")).to_be_visible(timeout=WAIT_MS)
    await browser_flow(visitor, "video", flowing=False)
    await panel.get_by_test_id("video").click()
    await expect(tid(visitor, "remote-video-off")).to_be_hidden(timeout=WAIT_MS)
    await browser_flow(visitor, "video")


async def test_hold_from_each_side_and_double_hold_stop_the_media(web, chromium, dashboards):
    agent, visitor, call = await answered(web, chromium, dashboards, "b2b-hold.html")
    panel = in_progress(agent, call)
    await flows(agent, visitor, call)
    await panel.get_by_test_id("hold").click()  # the agent holds
    await expect_state(visitor, "remotely_held", "The agent put you on hold")
    await expect(panel).to_have_attribute("data-state", "on_hold", timeout=WAIT_MS)
    await expect(panel.get_by_test_id("on-hold")).to_be_visible()
    await flows(agent, visitor, call, flowing=False)
    await click_when_ready(visitor, "hold")  # and the visitor too
    await expect_state(visitor, "on_double_hold")
    await expect(panel).to_have_attribute("data-state", "on_double_hold", timeout=WAIT_MS)
    await panel.get_by_test_id("hold").click()  # the agent resumes: still held by the visitor
    await expect(panel).to_have_attribute("data-state", "remotely_held", timeout=WAIT_MS)
    await expect(panel.get_by_test_id("caller-holds")).to_be_visible()
    await expect_state(visitor, "on_hold", "You put the call on hold")
    await flows(agent, visitor, call, flowing=False)
    await click_when_ready(visitor, "hold")  # the visitor resumes
    await expect_state(visitor, "in_call")
    await expect(panel).to_have_attribute("data-state", "in_call", timeout=WAIT_MS)
    await flows(agent, visitor, call)


async def test_mute_on_either_side_shows_on_the_other(web, chromium, dashboards):
    agent, visitor, call = await answered(web, chromium, dashboards, "b2b-mute.html")
    panel = in_progress(agent, call)
    await click_when_ready(visitor, "mute")
    await expect(panel.get_by_test_id("caller-muted")).to_be_visible(timeout=WAIT_MS)
    await page_media(agent, call, "audio", flowing=False)
    await click_when_ready(visitor, "mute")
    await expect(panel.get_by_test_id("caller-muted")).to_be_hidden(timeout=WAIT_MS)
    await panel.get_by_test_id("mute").click()
    await expect(tid(visitor, "remote-muted")).to_be_visible(timeout=WAIT_MS)
    await browser_flow(visitor, "audio", flowing=False)


async def test_reject_of_a_direct_call_ends_it_on_both_sides(web, chromium, dashboards):
    agent = await dashboards("alice")
    visitor, call = await widget_calls(
        web, chromium, "b2b-reject.html", queue="alice@support.example.com"
    )
    await expect_state(visitor, "ringing")
    await incoming(agent, call).get_by_test_id("reject").click()
    await expect_state(visitor, "ended")
    await expect(tid(visitor, "error")).to_contain_text("The call was declined.")
    await result(agent, True, "Call declined.")


async def test_ignore_stops_the_ringing_at_the_agent_and_the_visitor_still_rings(
    web, chromium, dashboards
):
    agent = await dashboards("alice")
    visitor, call = await widget_calls(
        web, chromium, "b2b-ignore.html", queue="alice@support.example.com"
    )
    card = incoming(agent, call)
    await card.get_by_test_id("ignore").click()
    await expect(card).to_contain_text("You ignored the call.", timeout=WAIT_MS)
    await expect_state(visitor, "ringing")
    await click_when_ready(visitor, "hangup")
    await expect_state(visitor, "ended")


async def test_the_visitor_cancelling_while_ringing_ends_the_card(web, chromium, dashboards):
    agent = await dashboards("alice")
    visitor, call = await widget_calls(web, chromium, "b2b-cancel.html")
    card = incoming(agent, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await click_when_ready(visitor, "hangup")
    await expect_state(visitor, "ended", "Call ended. You ended the call.")
    await expect(card).to_contain_text("The caller hung up.", timeout=WAIT_MS)
    await expect(card).to_have_count(0, timeout=WAIT_MS)


async def test_forward_to_a_second_agent_page_who_answers_with_media(web, chromium, dashboards):
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    visitor, call = await widget_calls(web, chromium, "b2b-forward.html")
    card = incoming(alice, call)
    await card.get_by_test_id("forward-to").select_option(BOB)
    await card.get_by_test_id("forward").click()
    await expect(card).to_contain_text("You forwarded the call.", timeout=WAIT_MS)
    at_bob = incoming(bob, call)
    await expect(at_bob).to_have_attribute("data-state", "ringing", timeout=WAIT_MS)
    await expect(at_bob.get_by_test_id("queue")).to_have_text(BOB)
    await expect_state(visitor, "ringing")
    await at_bob.get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    await flows(bob, visitor, call)


WATCH_WIDGET = """() => {
  const root = document.querySelector("supportcall-widget").shadowRoot;
  const badge = root.querySelector("[data-testid=reconnecting]");
  window.seen = [];
  new MutationObserver(() => window.seen.push(badge.hidden ? "hidden" : "shown"))
    .observe(badge, { attributes: true, attributeFilter: ["hidden"] });
}"""
WATCH_DASHBOARD = """() => {
  const connection = document.querySelector("[data-testid=connection]");
  window.seen = [];
  const note = () => {
    const caller = document.querySelector("[data-testid=caller-reconnecting]") ? "caller" : "-";
    const entry = `${connection.dataset.status}/${caller}`;
    if (window.seen.at(-1) !== entry) window.seen.push(entry);
  };
  new MutationObserver(note).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
  });
}"""


async def test_a_dropped_connection_shows_reconnecting_on_both_sides_and_the_call_goes_on(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "b2b-reconnect.html")
    await flows(agent, visitor, call)
    await visitor.evaluate(WATCH_WIDGET)
    await agent.evaluate(WATCH_DASHBOARD)
    # The visitor's WebSocket drops (a close the page did not ask for).
    await visitor.evaluate("document.querySelector('supportcall-widget').phone.ws.close(4000)")
    await wait_true(
        visitor, "window.seen.includes('shown') && window.seen.at(-1) === 'hidden'", timeout=WAIT_MS
    )
    await wait_true(
        agent,
        "window.seen.includes('connected/caller') && window.seen.at(-1) === 'connected/-'",
        timeout=WAIT_MS,
    )
    await expect_state(visitor, "in_call", "In call")
    await flows(agent, visitor, call)  # media never needed the server
    # Then the agent's connection drops: the dashboard says so, and resumes.
    await agent.evaluate(f"{PHONE}.ws.close(4000)")
    await wait_true(
        agent,
        "window.seen.some((s) => s.startsWith('reconnecting/'))"
        " && window.seen.at(-1) === 'connected/-'",
        timeout=WAIT_MS,
    )
    await expect(in_progress(agent, call, "in_call")).to_be_visible()
    await click_when_ready(visitor, "hold")
    await expect(in_progress(agent, call, "remotely_held")).to_be_visible(timeout=WAIT_MS)
