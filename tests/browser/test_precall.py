"""The widget's check before the call in Chromium, against the server's echo peer, and
the agent's dashboard showing the check with the incoming call."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.async_api import expect

from tests.support.browser import CALL, WAIT_MS, WIDGET, host_page, incoming, tid, wait_true

pytestmark = pytest.mark.browser

RESULT = f"document.querySelector('{WIDGET}').precheck.result"
PREVIEW = f"document.querySelector('{WIDGET}').shadowRoot.querySelector('.check-preview')"


async def test_the_widgets_check_is_good_to_go_on_loopback_and_reaches_the_agent(
    web, chromium, dashboards
):
    agent = await dashboards("alice")
    visitor = await host_page(web, chromium, "precall.html")
    launcher = tid(visitor, "call-button")
    await expect(launcher).not_to_have_attribute("data-line", "asking", timeout=WAIT_MS)
    await launcher.click()
    # Keyboard: the check is a button of the panel, reached with Tab from the call choices.
    button = tid(visitor, "check-button")
    await expect(button).to_be_visible()
    await expect(button).to_have_text("Test my microphone and connection")
    await button.focus()
    await visitor.keyboard.press("Enter")
    result = tid(visitor, "check-result")
    await expect(result).to_have_attribute("data-verdict", "running", timeout=WAIT_MS)
    # The meter listens to the (fake) microphone while the check runs.
    await expect(tid(visitor, "check-level")).to_have_attribute("data-heard", "true",
                                                                 timeout=WAIT_MS)  # fmt: skip
    await expect(result).to_have_attribute("data-verdict", "good", timeout=WAIT_MS)
    await expect(result).to_have_text("Good to go")
    check = await visitor.evaluate(RESULT)
    assert (check["verdict"], check["connected"], check["candidate_type"]) == (
        "good", True, "host",
    ), check  # fmt: skip
    assert check["rtt_ms"] is not None
    # The microphone is given back once the check is over.
    await expect(tid(visitor, "check-level")).to_be_hidden()

    await tid(visitor, "choose-audio").click()
    await wait_true(visitor, f"{CALL} && {CALL}.id", timeout=WAIT_MS)
    call = SimpleNamespace(call_id=await visitor.evaluate(f"{CALL}.id"))
    shown = incoming(agent, call).get_by_test_id("caller-check")
    await expect(shown).to_have_attribute("data-verdict", "good", timeout=WAIT_MS)
    await expect(shown).to_contain_text("Caller's check: Good to go (path: host")


async def test_a_video_widgets_check_previews_the_camera_and_says_good_to_go(
    web, chromium, dashboards
):
    await dashboards("alice")
    visitor = await host_page(web, chromium, "precall-video.html", media="video")
    launcher = tid(visitor, "call-button")
    await expect(launcher).not_to_have_attribute("data-line", "asking", timeout=WAIT_MS)
    # A video widget calls from the launcher; hung up, its panel offers the check.
    await launcher.click()
    await wait_true(visitor, f"{CALL} && {CALL}.id", timeout=WAIT_MS)
    await tid(visitor, "hangup").click()
    await expect(tid(visitor, "status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await tid(visitor, "check-button").click()
    preview = tid(visitor, "check-preview")
    await expect(preview).to_be_visible(timeout=WAIT_MS)
    await wait_true(visitor, f"{PREVIEW}.videoWidth > 0", timeout=WAIT_MS)
    result = tid(visitor, "check-result")
    await expect(result).to_have_attribute("data-verdict", "good", timeout=WAIT_MS)
    await expect(result).to_have_text("Good to go")
    # The camera is given back: no preview, no track left live.
    await expect(preview).to_be_hidden()
    assert await visitor.evaluate(f"{PREVIEW}.srcObject") is None
