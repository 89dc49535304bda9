"""The widget zoomed (WCAG 1.4.4 and 1.4.10): at 200% in a 1280 x 800 window (640 x 400
CSS pixels) and at 400% (320 CSS pixels wide, the width reflow is judged at), through a
whole call, nothing is cut off and nothing needs scrolling sideways: the page does not
scroll horizontally, no element of the widget sticks out of the window or hides part of
its content, and every control can be brought into view."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS, WIDGET, expect_state, host_page, tid

pytestmark = pytest.mark.browser

# What sticks out of the window, sideways, or is wider than the box that clips it: the
# widget's visible elements (screen-reader-only text aside), by test id or class.
CUT_OFF = f"""(() => {{
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push("the page scrolls sideways");
  for (const el of document.querySelector('{WIDGET}').shadowRoot.querySelectorAll("*")) {{
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (box.width <= 1 || style.clip !== "auto" || style.clipPath !== "none") continue;
    const name = el.dataset.testid || el.getAttribute("class") || el.tagName;
    if (box.left < -0.5 || box.right > width + 0.5) found.push(`${{name}} sticks out`);
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {{
      found.push(`${{name}} cuts off its content`);
    }}
  }}
  return found;
}})()"""


async def assert_reflows(page, state: str) -> None:
    assert await page.evaluate(CUT_OFF) == [], state
    controls = page.locator(WIDGET).locator("button:visible, input:visible, textarea:visible")
    for i in range(await controls.count()):
        control = controls.nth(i)
        await control.scroll_into_view_if_needed()
        await expect(control).to_be_in_viewport()
    assert await page.evaluate(CUT_OFF) == [], f"{state}, after scrolling"


@pytest.mark.parametrize(
    ("zoom", "viewport"),
    [(2, {"width": 640, "height": 400}), (4, {"width": 320, "height": 256})],
    ids=["200%", "400%"],
)
async def test_a_whole_call_zoomed_in_is_never_cut_off_nor_scrolls_sideways(
    web, chromium, alice, zoom, viewport
):
    page = await host_page(web, chromium, f"zoom-{zoom}.html", viewport=viewport, zoom=zoom)
    assert await page.evaluate("devicePixelRatio") == zoom
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_attribute("data-line", "open", timeout=WAIT_MS)
    await assert_reflows(page, "launcher")
    await launcher.click()
    await expect_state(page, "idle")
    await assert_reflows(page, "idle")

    await tid(page, "choose-audio").click()
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await assert_reflows(page, "ringing")

    await incoming.accept()
    await expect_state(page, "in_call")
    await expect(tid(page, "timer")).to_be_visible()
    await assert_reflows(page, "in call")

    await tid(page, "hangup").click()
    await expect_state(page, "ended")
    await incoming.wait_for_state("ended", timeout=10)
    await assert_reflows(page, "ended")
