"""The agent dashboard in a real Chromium, answering real calls from the Python client.

Each test logs in through the real login form, and the visitor is
``supportcall.client.Visitor`` (aiortc): this is also the cross-implementation
test, a Python visitor answered in the browser with media flowing both ways.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    PHONE,
    RINGING,
    WAIT_MS,
    in_progress,
    incoming,
    log_in,
    page_media,
    result,
    screenshot,
    wait_true,
)
from tests.support.recorder import record
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

SUPPORT = "support@support.example.com"
ALICE = "alice@support.example.com"
BOB = "bob@support.example.com"


async def ringing_at(page, visitor, media="audio"):
    """The visitor calls the support queue; the card appears on the page."""
    call = await visitor.call(media=media)
    await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
    return call


async def answered(page, visitor, media="audio", button="accept-audio"):
    call = await ringing_at(page, visitor, media)
    await incoming(page, call).get_by_test_id(button).click()
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await call.wait_for_state("in_call", timeout=WAIT_MS / 1000)
    return call


# --- logging in --------------------------------------------------------------------


async def test_an_agent_logs_in_through_the_form_and_sees_an_empty_dashboard(dashboards):
    page = await dashboards("alice")
    await expect(page.get_by_test_id("presence")).to_have_value("available")
    await expect(page.get_by_text("Waiting for calls")).to_be_visible()
    await expect(page.get_by_text("Alice Agent")).to_be_visible()
    assert await page.evaluate(f"{PHONE}.identity") == "alice@support.example.com"


async def test_a_wrong_password_is_refused_on_the_login_page(browser, web):
    page = await browser.new_page()
    await log_in(page, web, "alice", "not-the-password")
    await expect(page.get_by_test_id("login-error")).to_contain_text("correct username")
    await expect(page).to_have_url(f"{web.url}/accounts/login/")


async def test_a_user_who_is_not_an_agent_is_told_so_after_logging_in(browser, web):
    page = await browser.new_page()
    await log_in(page, web, "admin")
    await expect(page).to_have_url(f"{web.url}/agent/")
    await expect(page.get_by_role("heading")).to_have_text("This account is not an agent")
    await expect(page.get_by_test_id("presence")).to_have_count(0)
    await page.get_by_role("button", name="Sign in with another account").click()
    await expect(page).to_have_url(f"{web.url}/accounts/login/")


# --- ringing -----------------------------------------------------------------------


async def test_an_incoming_call_shows_caller_context_media_and_queue_and_rings(
    dashboards, visitors
):
    page = await dashboards("alice")
    visitor = await visitors(context={"order": "1042", "page": "https://shop.example.com/cart"})
    call = await ringing_at(page, visitor, "audio")
    card = incoming(page, call)
    await expect(card.get_by_test_id("caller")).to_have_text("Ada")
    await expect(card.get_by_test_id("media")).to_have_text("Audio call")
    await expect(card.get_by_test_id("queue")).to_have_text(SUPPORT)
    context = card.get_by_test_id("context")
    await expect(context).to_contain_text("order")
    await expect(context).to_contain_text("1042")
    link = context.get_by_role("link", name="https://shop.example.com/cart")
    await expect(link).to_have_attribute("href", "https://shop.example.com/cart")
    # An audio call is accepted with audio (video can start later): no accept-video.
    await expect(card.get_by_test_id("accept-audio")).to_be_enabled()
    await expect(card.get_by_test_id("accept-video")).to_have_count(0)
    options = await card.get_by_test_id("forward-to").locator("option").all_inner_texts()
    assert any(BOB in o for o in options) and any(SUPPORT in o for o in options)
    assert not any("alice@" in o for o in options)
    # It rings: the Web Audio chime plays and the title flashes.
    assert await page.evaluate(RINGING)
    await wait_true(page, "document.title.includes('Ada is calling')", timeout=WAIT_MS)
    await screenshot(page, "dashboard-incoming")


async def test_a_video_call_offers_accept_with_video(dashboards, visitors):
    page = await dashboards("alice")
    call = await ringing_at(page, await visitors(display_name=None), "video")
    card = incoming(page, call)
    await expect(card.get_by_test_id("caller")).to_have_text("Anonymous visitor")
    await expect(card.get_by_test_id("media")).to_have_text("Video call")
    await expect(card.get_by_test_id("accept-video")).to_be_visible()


async def test_a_second_caller_waits_while_the_agent_rings_and_rings_when_the_first_leaves(
    dashboards, visitors
):
    page = await dashboards("alice")
    ada = await ringing_at(page, await visitors())
    bea = await (await visitors(display_name="Bea")).call(media="audio")
    # One call rings at a time: the next waits in the queue, first come first served.
    await bea.wait_for_state("queued", timeout=10)
    await expect(page.get_by_test_id("incoming")).to_have_count(1)
    await ada.end()
    gone = incoming(page, ada)
    await expect(gone).to_have_attribute("data-state", "ended")
    await expect(gone).to_contain_text("The caller hung up.")
    await expect(gone).to_have_count(0, timeout=WAIT_MS)
    await expect(incoming(page, bea).get_by_test_id("accept-audio")).to_be_enabled(timeout=WAIT_MS)
    await bea.wait_for_state("ringing", timeout=10)
    assert await page.evaluate(RINGING)
    await bea.end()
    await expect(page.get_by_test_id("incoming")).to_have_count(0, timeout=WAIT_MS)
    await wait_true(page, f"!({RINGING})")
    await wait_true(page, "!document.title.includes('calling')")


async def test_a_call_in_a_background_tab_raises_a_notification(dashboards, visitors):
    # Headless Chromium has no real notification centre and is always "visible":
    # stand in for both, and record what the page asks for.
    background_tab = """
        window.__notifications = [];
        window.Notification = class {
            static permission = "granted";
            static requestPermission() { return Promise.resolve("granted"); }
            constructor(title, options) { window.__notifications.push({title, ...options}); }
            close() { window.__notifications.closed = true; }
        };
        Object.defineProperty(document, "visibilityState", {get: () => "hidden"});
        document.hasFocus = () => false;
    """
    page = await dashboards("alice", init_script=background_tab)
    call = await ringing_at(page, await visitors())
    notes = await page.evaluate("window.__notifications")
    assert [(n["title"], n["tag"]) for n in notes] == [
        ("Ada is calling", f"supportcall-{call.call_id}")
    ]
    assert SUPPORT in notes[0]["body"]
    await call.end()
    await wait_true(page, "window.__notifications.closed === true")


# --- answering -----------------------------------------------------------------------


async def test_accepting_with_audio_starts_the_timer_and_media_flows_both_ways(
    dashboards, visitors
):
    page = await dashboards("alice")
    visitor = await visitors()
    call = await answered(page, visitor, "audio")
    panel = in_progress(page, call)
    await expect(incoming(page, call)).to_have_count(0)
    await expect(panel.get_by_test_id("caller")).to_have_text("Ada")
    await expect(panel.get_by_test_id("queue")).to_have_text(SUPPORT)
    assert not await page.evaluate(RINGING)
    # Media in the page and at the Python visitor.
    await page_media(page, call, "audio")
    await call.wait_for_media("audio", timeout=10)
    timer = panel.get_by_test_id("timer")
    first = await timer.inner_text()
    await expect(timer).not_to_have_text(first, timeout=3000)
    for button in ("mute", "video"):
        await expect(panel.get_by_test_id(button)).to_have_attribute("aria-pressed", "false")
    await expect(panel.get_by_test_id("hold")).to_have_text("Hold")
    await expect(
        page.locator(
            "[data-testid=caller-muted], [data-testid=caller-holds], [data-testid=on-hold]"
        )
    ).to_have_count(0)
    await expect(
        page.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
    ).to_contain_text("In progress")


async def test_accepting_a_video_call_with_video_plays_the_callers_video(dashboards, visitors):
    page = await dashboards("alice")
    visitor = await visitors()
    call = await answered(page, visitor, "video", button="accept-video")
    panel = in_progress(page, call)
    video = panel.get_by_test_id("remote-video")
    await expect(video).to_be_visible()
    await wait_true(
        page,
        '(id) => { const v = document.querySelector(`[data-testid=call][data-call-id="${id}"]'
        " video[data-testid=remote-video]`); return v.videoWidth > 0 && !v.paused; }",
        arg=call.call_id,
        timeout=WAIT_MS,
    )
    await page_media(page, call, "video")
    await call.wait_for_media("video", timeout=10)  # the agent's (fake) camera
    await expect(panel.get_by_test_id("video")).to_have_attribute("aria-pressed", "true")
    await expect(panel.locator(".self-view")).to_be_visible()
    await asyncio.sleep(0.5)  # a few more frames for the picture
    await screenshot(page, "dashboard-in-call")


async def test_video_can_be_started_and_stopped_on_an_audio_call(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    button = in_progress(page, call).get_by_test_id("video")
    after = record(call.client).mark(call)
    await button.click()
    await expect(button).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await record(call.client).event("call.media", call, timeout=10, after=after, video=True)
    await call.wait_for_media("video", timeout=10)
    await button.click()
    await expect(button).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    await record(call.client).event("call.media", call, timeout=10, after=after, video=False)
    await call.wait_for_media("video", flowing=False, timeout=10)


async def test_an_audio_single_call_has_no_video_button(dashboards, visitors):
    page = await dashboards("alice")
    visitor = await visitors()
    call = await ringing_at(page, visitor, "audio_single")
    card = incoming(page, call)
    await expect(card.get_by_test_id("media")).to_have_text("Audio only")
    await expect(card.get_by_test_id("accept-video")).to_have_count(0)
    await card.get_by_test_id("accept-audio").click()
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("video")).to_have_count(0)
    await expect(panel.get_by_test_id("mute")).to_be_visible()
    await call.wait_for_media("audio", timeout=10)


# --- in the call ---------------------------------------------------------------------


async def test_hold_from_the_dashboard_stops_media_until_resumed(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    panel = in_progress(page, call)
    await call.wait_for_media("audio", timeout=10)
    hold = panel.get_by_test_id("hold")
    await hold.click()
    await expect(in_progress(page, call, "on_hold")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("on-hold")).to_be_visible()
    await expect(panel.get_by_test_id("caller-holds")).to_have_count(0)
    # While held the button says what it does next.
    await expect(hold).to_have_text("Resume")
    await expect(hold).not_to_have_attribute("aria-pressed", re.compile("."))
    await result(page, True, "on hold")
    await call.wait_for_state("remotely_held", timeout=10)
    await call.wait_for_media("audio", flowing=False, timeout=10)
    await page_media(page, call, "audio", flowing=False)

    await hold.click()
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("on-hold")).to_have_count(0)
    await expect(hold).to_have_text("Hold")
    await call.wait_for_state("in_call", timeout=10)
    await call.wait_for_media("audio", timeout=10)
    await page_media(page, call, "audio")


async def test_the_caller_holding_and_muting_shows_on_the_dashboard(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    panel = in_progress(page, call)

    await call.hold()
    await expect(in_progress(page, call, "remotely_held")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("caller-holds")).to_be_visible()
    await expect(panel.get_by_test_id("on-hold")).to_have_count(0)
    # Both on hold: each indicator, and resuming from the dashboard leaves the caller's hold.
    await panel.get_by_test_id("hold").click()
    await expect(in_progress(page, call, "on_double_hold")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("caller-holds")).to_be_visible()
    await expect(panel.get_by_test_id("on-hold")).to_be_visible()
    await panel.get_by_test_id("hold").click()
    await expect(in_progress(page, call, "remotely_held")).to_be_visible(timeout=WAIT_MS)
    await call.unhold()
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("caller-holds")).to_have_count(0)

    await call.mute()
    await expect(panel.get_by_test_id("caller-muted")).to_be_visible(timeout=WAIT_MS)
    await page_media(page, call, "audio", flowing=False)
    await call.unmute()
    await expect(panel.get_by_test_id("caller-muted")).to_have_count(0, timeout=WAIT_MS)
    await page_media(page, call, "audio")


async def test_muting_from_the_dashboard_silences_the_agent_for_the_visitor(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    mute = in_progress(page, call).get_by_test_id("mute")
    await call.wait_for_media("audio", timeout=10)
    after = record(call.client).mark(call)
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await record(call.client).event("call.media", call, timeout=10, after=after, muted=True)
    await call.wait_for_media("audio", flowing=False, timeout=10)
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    await record(call.client).event("call.media", call, timeout=10, after=after, muted=False)
    await call.wait_for_media("audio", timeout=10)


async def test_a_hold_the_caller_never_answers_fails_and_says_why(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    panel = in_progress(page, call)
    answer_reoffers = call._on_offer

    async def ignore_reoffer(op, sdp):
        pass

    call._on_offer = ignore_reoffer  # the visitor's side never answers the hold
    await panel.get_by_test_id("hold").click()
    # The server gives up after SUPPORTCALL_OP_TIMEOUT (3 s in the `web` fixture).
    await result(page, False, "Hold failed", "did not respond in time")
    await expect(in_progress(page, call, "in_call")).to_be_visible()
    await expect(panel.get_by_test_id("hold")).to_have_text("Hold")
    await expect(panel.get_by_test_id("on-hold")).to_have_count(0)
    await page_media(page, call, "audio")
    # The page rolled its offer back: the next hold works.
    call._on_offer = answer_reoffers
    await panel.get_by_test_id("hold").click()
    await expect(in_progress(page, call, "on_hold")).to_be_visible(timeout=WAIT_MS)
    await result(page, True, "on hold")


async def test_hanging_up_ends_the_call_for_both_and_it_lands_in_recent_calls(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(display_name="Hana"), "audio")
    await page.wait_for_timeout(1200)
    await in_progress(page, call).get_by_test_id("hangup").click()
    ended = in_progress(page, call, "ended")
    await expect(ended).to_contain_text("You ended the call.", timeout=WAIT_MS)
    await call.wait_for_state("ended", timeout=10)
    assert call.end_reason == "ended_by_remote"
    row = page.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
    await expect(row).to_contain_text("Hana", timeout=WAIT_MS)
    await expect(row).to_contain_text(re.compile(r"You hung up · 0:0[1-4]"))
    await expect(ended).to_have_count(0, timeout=WAIT_MS)
    await result(page, True, "Call ended.")


async def test_phone_js_ending_operations_resolve_with_the_servers_result(dashboards, visitors):
    # The server sends call.state "ended" before the op.result of end / reject:
    # the promise must carry the op.result, not "the call ended".
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    ended = await page.evaluate("(id) => window.recorded.calls.get(id).end()", call.call_id)
    assert (ended["op"], ended["ok"]) == ("end", True)
    ringing = await ringing_at(page, await visitors())
    rejected = await page.evaluate(
        "(id) => window.recorded.calls.get(id).reject()", ringing.call_id
    )
    assert (rejected["op"], rejected["ok"]) == ("reject", True)


async def test_the_visitor_hanging_up_is_shown_and_recorded(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(display_name="Ida"), "audio")
    await call.end()
    await expect(in_progress(page, call, "ended")).to_contain_text(
        "The other side ended the call.", timeout=WAIT_MS
    )
    rows = page.get_by_test_id("recent-calls").locator("[data-testid=recent-call]")
    await expect(rows.first).to_have_attribute("data-call-id", call.call_id, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text("Ida")
    await expect(rows.first).to_contain_text("Caller hung up")


# --- reject, ignore, forward -----------------------------------------------------------


async def test_reject_of_a_direct_call_ends_it_for_the_visitor(dashboards, visitors):
    page = await dashboards("alice")
    call = await (await visitors()).call(media="audio", to=ALICE)
    await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
    await incoming(page, call).get_by_test_id("reject").click()
    await call.wait_for_state("ended", timeout=10)
    assert call.end_reason == "rejected"
    card = incoming(page, call)
    await expect(card).to_contain_text("The call was declined.")
    # The card says it once: no ring time, no "Declining…" left spinning beside it.
    await expect(card.locator(".eyebrow")).to_have_text("Ended")
    await expect(card).not_to_contain_text("Incoming")
    await expect(card).not_to_contain_text("Declining")
    await expect(card.locator(".card-status")).to_be_hidden()
    assert not await card.evaluate("(el) => el.classList.contains('is-busy')")
    await result(page, True, "Call declined.")
    await expect(card).to_have_count(0, timeout=WAIT_MS)
    row = page.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
    await expect(row).to_contain_text("Declined")


async def test_reject_of_a_queue_call_by_the_only_agent_tells_the_visitor_at_once(
    dashboards, visitors
):
    page = await dashboards("alice")
    call = await ringing_at(page, await visitors())
    await incoming(page, call).get_by_test_id("reject").click()
    # Nobody else could answer: the caller is not left waiting for nobody.
    await call.wait_for_state("ended", timeout=10)
    assert call.end_reason == "no_agents"
    await expect(incoming(page, call)).to_have_count(0, timeout=WAIT_MS)


async def test_ignore_stops_the_ringing_here_and_the_visitor_keeps_ringing(dashboards, visitors):
    page = await dashboards("alice")
    call = await (await visitors()).call(media="audio", to=ALICE)
    await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
    await incoming(page, call).get_by_test_id("ignore").click()
    await expect(incoming(page, call)).to_contain_text("You ignored the call.", timeout=WAIT_MS)
    await wait_true(page, f"!({RINGING})")
    await asyncio.sleep(0.5)
    assert call.state == "ringing"  # a direct call: the caller is not told
    await call.end()


async def test_forwarding_to_an_agent_who_is_not_there_fails_and_says_why(dashboards, visitors):
    page = await dashboards("alice")
    call = await ringing_at(page, await visitors())
    card = incoming(page, call)
    await card.get_by_test_id("forward-to").select_option(BOB)
    await card.get_by_test_id("forward").click()
    await result(page, False, "Forward failed", "Nobody can be reached", BOB)
    await expect(card.get_by_test_id("accept-audio")).to_be_enabled()
    assert await page.evaluate(RINGING)
    await card.get_by_test_id("accept-audio").click()
    await call.wait_for_state("in_call", timeout=10)


async def test_forwarding_to_bob_rings_bob_who_answers_and_media_flows(
    browser, dashboards, visitors
):
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    visitor = await visitors(display_name="Ada")
    call = await visitor.call(media="audio")
    # The queue rings both; alice forwards to bob, whose first ring ends and a new one starts.
    await expect(incoming(alice, call)).to_be_visible(timeout=WAIT_MS)
    await expect(incoming(bob, call)).to_be_visible(timeout=WAIT_MS)
    card = incoming(alice, call)
    await card.get_by_test_id("forward-to").select_option(BOB)
    await card.get_by_test_id("forward").click()
    await expect(card).to_contain_text("You forwarded the call.", timeout=WAIT_MS)
    at_bob = incoming(bob, call)
    await expect(at_bob).to_have_count(1)
    await expect(at_bob).to_have_attribute("data-state", "ringing", timeout=WAIT_MS)
    await expect(at_bob.get_by_test_id("queue")).to_have_text(BOB)
    await expect(at_bob.get_by_test_id("caller")).to_have_text("Ada")
    await at_bob.get_by_test_id("accept-audio").click()
    await expect(in_progress(bob, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await call.wait_for_state("in_call", timeout=10)
    await call.wait_for_media("audio", timeout=10)
    await page_media(bob, call, "audio")
    row = alice.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
    await expect(row).to_contain_text("Forwarded", timeout=WAIT_MS)


# --- presence ------------------------------------------------------------------------------


async def test_an_away_agent_is_not_rung_and_the_call_rings_when_it_is_back(
    web, dashboards, visitors
):
    # A queue that keeps callers waiting with nobody to answer (else: no_agents at once).
    waits = "Queue.objects.filter(name='support').update(wait_when_empty={})"
    django_shell(web.env, "from supportcall.directory.models import Queue;" + waits.format(True))
    page = await dashboards("alice")
    presence = page.get_by_test_id("presence")
    await presence.select_option("away")
    await result(page, True, "You are away")
    await expect(page.get_by_text("You are away", exact=True)).to_be_visible()
    try:
        call = await (await visitors()).call(media="audio")
        # Online but away, in a queue that waits anyway: the caller waits.
        await call.wait_for_state("queued", timeout=10)
        await expect(page.get_by_test_id("incoming")).to_have_count(0)
        assert not await page.evaluate(RINGING)
        await presence.select_option("available")
        await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
        await call.wait_for_state("ringing", timeout=10)
        await call.end()
    finally:
        await presence.select_option("available")
        await result(page, True, "You are available")
        django_shell(
            web.env, "from supportcall.directory.models import Queue;" + waits.format(False)
        )


async def test_the_top_bars_dot_is_green_when_available_and_grey_when_away(dashboards):
    page = await dashboards("alice")
    dot = page.locator(".topbar .presence-dot")
    colour = "(el) => getComputedStyle(el).backgroundColor"
    assert await dot.evaluate(colour) == "rgb(22, 163, 74)"
    await page.get_by_test_id("presence").select_option("away")
    await result(page, True, "You are away")
    assert await dot.evaluate(colour) == "rgb(156, 163, 175)"
    await page.get_by_test_id("presence").select_option("available")
    await result(page, True, "You are available")
    assert await dot.evaluate(colour) == "rgb(22, 163, 74)"


async def test_presence_stays_in_sync_across_two_tabs(dashboards):
    first = await dashboards("alice")
    second = await dashboards(open_tab=first)
    try:
        await first.get_by_test_id("presence").select_option("away")
        await expect(second.get_by_test_id("presence")).to_have_value("away", timeout=WAIT_MS)
        # A tab opened now starts from the presence in its hello.
        third = await dashboards(open_tab=first)
        await expect(third.get_by_test_id("presence")).to_have_value("away")
        await second.get_by_test_id("presence").select_option("available")
        await expect(first.get_by_test_id("presence")).to_have_value("available", timeout=WAIT_MS)
        await expect(third.get_by_test_id("presence")).to_have_value("available", timeout=WAIT_MS)
    finally:
        await first.get_by_test_id("presence").select_option("available")


async def test_a_call_rings_in_every_tab_and_answering_in_one_stops_the_others(
    dashboards, visitors
):
    first = await dashboards("alice")
    second = await dashboards(open_tab=first)
    call = await ringing_at(first, await visitors())
    await expect(incoming(second, call)).to_be_visible(timeout=WAIT_MS)
    await incoming(first, call).get_by_test_id("accept-audio").click()
    await expect(in_progress(first, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await expect(incoming(second, call)).to_contain_text("answered elsewhere", timeout=WAIT_MS)


async def test_a_dropped_connection_resumes_and_the_call_goes_on(dashboards, visitors):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    await page.evaluate(f"{PHONE}.ws.close(4000)")  # as when the network drops
    await record(call.client).event("call.media", call, timeout=10, connection="reconnecting")
    await record(call.client).event("call.media", call, timeout=10, connection="connected")
    await expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=WAIT_MS)
    await expect(in_progress(page, call, "in_call")).to_be_visible()
    await page_media(page, call, "audio")
    assert call.state == "in_call"
    # Signaling works on the resumed connection.
    await in_progress(page, call).get_by_test_id("hold").click()
    await call.wait_for_state("remotely_held", timeout=10)


async def test_a_call_lost_in_an_outage_is_not_left_in_progress_in_the_recent_calls(
    dashboards, visitors
):
    page = await dashboards("alice")
    call = await answered(page, await visitors(), "audio")
    row = page.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
    await expect(row).to_contain_text("In progress", timeout=WAIT_MS)
    # The server goes away for longer than the resume grace: the page gives the call up,
    # connects again, and the server has not ended the call yet (its grace runs on).
    await page.evaluate(f"{PHONE}.hello.resume_grace = -1; {PHONE}.ws.close(4000)")
    await expect(in_progress(page, call)).to_contain_text("connection", timeout=WAIT_MS)
    await expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=WAIT_MS)
    await expect(row).to_have_attribute("data-outcome", "connection_lost", timeout=WAIT_MS)
    await expect(row).to_contain_text("Connection lost")
    await expect(row).not_to_contain_text("In progress")


# --- keyboard and small screens ------------------------------------------------------------


async def test_a_call_can_be_answered_and_ended_with_the_keyboard(dashboards, visitors):
    page = await dashboards("alice")
    call = await ringing_at(page, await visitors())

    async def tab_to(testid):
        for _ in range(30):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement?.dataset.testid") == testid:
                return
        raise AssertionError(f"Tab never reached {testid}")

    await tab_to("accept-audio")
    assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Accept the call from Ada with audio"
    )
    await page.keyboard.press("Enter")
    await call.wait_for_state("in_call", timeout=10)
    await tab_to("mute")
    await page.keyboard.press("Space")
    await expect(in_progress(page, call).get_by_test_id("mute")).to_have_attribute(
        "aria-pressed", "true", timeout=WAIT_MS
    )
    await tab_to("hangup")
    await page.keyboard.press("Enter")
    await call.wait_for_state("ended", timeout=10)


async def test_after_accept_with_the_keyboard_focus_is_in_the_call_and_tab_reaches_its_controls(
    dashboards, visitors
):
    page = await dashboards("alice")
    call = await ringing_at(page, await visitors())
    await incoming(page, call).get_by_test_id("accept-audio").focus()
    await page.keyboard.press("Enter")
    await call.wait_for_state("in_call", timeout=10)
    panel = in_progress(page, call, "in_call")
    await expect(panel.get_by_test_id("mute")).to_be_focused(timeout=WAIT_MS)
    seen = []
    for _ in range(4):
        await page.keyboard.press("Tab")
        seen.append(await page.evaluate("document.activeElement?.dataset.testid"))
    assert seen == ["hold", "video", "ask-screen", "hangup"]


async def test_shortcuts_accept_mute_hold_resume_and_hang_up_and_are_listed(dashboards, visitors):
    page = await dashboards("alice")
    shortcuts = page.get_by_test_id("shortcuts")
    for text in (
        "Alt+Shift+A",
        "Accept",
        "Alt+Shift+M",
        "Mute",
        "Alt+Shift+H",
        "Hold",
        "Alt+Shift+E",
        "Hang up",
    ):
        await expect(shortcuts).to_contain_text(text)
    call = await ringing_at(page, await visitors())
    card = incoming(page, call)
    await expect(card.get_by_test_id("accept-audio")).to_have_attribute(
        "aria-keyshortcuts", "Alt+Shift+A"
    )
    await page.locator("body").click(position={"x": 5, "y": 300})
    await page.keyboard.press("Alt+Shift+A")
    await call.wait_for_state("in_call", timeout=10)
    panel = in_progress(page, call)
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await page.keyboard.press("Alt+Shift+M")
    await expect(panel.get_by_test_id("mute")).to_have_attribute(
        "aria-pressed", "true", timeout=WAIT_MS
    )
    await page.keyboard.press("Alt+Shift+H")
    await call.wait_for_state("remotely_held", timeout=10)
    await expect(panel.get_by_test_id("hold")).to_have_text("Resume", timeout=WAIT_MS)
    await expect(panel.get_by_test_id("hold")).to_be_enabled()
    await page.keyboard.press("Alt+Shift+H")
    await call.wait_for_state("in_call", timeout=10)
    await expect(panel.get_by_test_id("hold")).to_have_text("Hold", timeout=WAIT_MS)
    await expect(panel.get_by_test_id("hold")).to_be_enabled()
    await page.keyboard.press("Alt+Shift+E")
    await call.wait_for_state("ended", timeout=10)
    assert record(call.client).states(call) == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "in_call",
        "ended",
    ]


async def test_shortcuts_do_nothing_while_the_agent_types_in_a_field(dashboards, visitors):
    page = await dashboards("alice")
    # A field on the page, as an integration (a CRM note) would add one.
    await page.evaluate(
        "document.querySelector('.calls-column').prepend(Object.assign("
        "document.createElement('input'), {id: 'note', 'aria-label': 'Note'}))"
    )
    call = await ringing_at(page, await visitors())
    await page.locator("#note").focus()
    await page.keyboard.press("Alt+Shift+A")
    await page.keyboard.type("Ada again")
    await expect(page.locator("#note")).to_have_value("Ada again")
    await asyncio.sleep(0.5)
    assert call.state == "ringing"
    await expect(incoming(page, call).get_by_test_id("accept-audio")).to_be_enabled()
    # Out of the field, the same keys accept.
    await page.locator("#idle, .calls-column h2").first.click()
    await page.keyboard.press("Alt+Shift+A")
    await call.wait_for_state("in_call", timeout=10)
    await call.end()


def overlaps(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
    ids=["desk", "phone"],
)
async def test_a_result_covers_neither_the_recent_calls_nor_the_top_bar(dashboards, web, viewport):
    # A day's calls: the recent calls fill the side column down past the bottom of the window.
    django_shell(
        web.env,
        "from supportcall.calls.models import Call, Leg;"
        "from supportcall.directory.models import Agent, Site;"
        "alice = Agent.objects.get(user__username='alice'); site = Site.objects.get(key='demo');"
        "[Leg.objects.create(agent=alice, status='ended', reason='ended_by_local', call="
        "Call.objects.create(site=site, caller_identity='x', caller_display_name=f'Caller {i}',"
        " target='support@support.example.com', media='audio', phase='ended', offer_sdp='v=0'))"
        " for i in range(20)]",
    )
    page = await dashboards("alice", viewport=viewport)
    await expect(page.get_by_test_id("recent-call")).to_have_count(20, timeout=WAIT_MS)
    await page.get_by_test_id("presence").select_option("away")
    await result(page, True, "You are away")
    await page.get_by_test_id("presence").select_option("available")
    await result(page, True, "You are available")
    toast = await page.get_by_test_id("result").bounding_box()
    for covered in (page.locator(".topbar"), page.get_by_test_id("recent-calls").locator("..")):
        assert not overlaps(toast, await covered.bounding_box()), await covered.evaluate(
            "(el) => el.className"
        )
    # Nothing on the page sits under it: the element at its centre is the toast's own.
    centre = {"x": toast["x"] + toast["width"] / 2, "y": toast["y"] + toast["height"] / 2}
    assert await page.evaluate(
        "({x, y}) => Boolean(document.elementFromPoint(x, y)?.closest('[data-testid=result]'))",
        centre,
    )


async def test_the_forward_list_fits_a_phone(dashboards, visitors):
    page = await dashboards("alice", viewport={"width": 390, "height": 844})
    call = await ringing_at(page, await visitors())
    card = incoming(page, call)
    select, button = card.get_by_test_id("forward-to"), card.get_by_test_id("forward")
    await select.scroll_into_view_if_needed()
    card_box = await card.bounding_box()
    for part in (select, button):
        box = await part.bounding_box()
        assert (
            box["x"] >= card_box["x"]
            and box["x"] + box["width"] <= card_box["x"] + card_box["width"]
        ), box
        assert box["x"] + box["width"] <= 390
    # The list is as wide as the card, so an address fits in it.
    widest = await select.evaluate(
        "(el) => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(el).font;"
        " return Math.max(...[...el.options].map((o) => c.measureText(o.text).width)); }"
    )
    select_box = await select.bounding_box()
    assert select_box["width"] >= min(widest, card_box["width"] - 80), (select_box, widest)
    await call.end()


async def test_the_dashboard_fits_a_narrow_screen(dashboards, visitors):
    page = await dashboards("alice", viewport={"width": 375, "height": 740})
    call = await ringing_at(
        page,
        await visitors(context={"page": "https://shop.example.com/checkout/step-2?coupon=SPRING"}),
    )
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await page.evaluate(overflow) == 0
    for testid in ("accept-audio", "reject", "ignore", "forward"):
        await expect(incoming(page, call).get_by_test_id(testid)).to_be_in_viewport()
    await incoming(page, call).get_by_test_id("accept-audio").click()
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    assert await page.evaluate(overflow) == 0
    await panel.get_by_test_id("hangup").scroll_into_view_if_needed()
    await expect(panel.get_by_test_id("hangup")).to_be_in_viewport()
    await page.get_by_test_id("result").get_by_role("button", name="Dismiss").click()
    await expect(page.get_by_test_id("result")).to_be_hidden()
    await screenshot(page, "dashboard-narrow")
