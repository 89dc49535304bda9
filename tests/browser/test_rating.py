"""The visitor rates an answered call in the widget; the agent's recent calls show it."""

from __future__ import annotations

import ast

import pytest
from playwright.async_api import expect

from tests.browser.test_browser_to_browser import answered
from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, click_when_ready, tid
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser


def rating_of(web, call) -> tuple:
    said = django_shell(
        web.env,
        "from supportcall.calls.models import Call;"
        f"c = Call.objects.get(pk='{call.call_id}');"
        "print(repr((c.rating, c.rating_comment, c.rated_at is not None)))",
    )
    return ast.literal_eval(said.strip().splitlines()[-1])


async def test_after_the_call_the_widget_asks_for_stars_from_the_keyboard_and_the_agent_sees_them(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "rating.html")
    form = tid(visitor, "rating-form")
    await expect(form).to_be_hidden()  # not during the call
    await click_when_ready(visitor, "hangup")
    await expect(tid(visitor, "status")).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(form).to_be_visible()
    await expect(form.locator("legend")).to_have_text("How was your call?")
    for scheme in ("light", "dark"):
        await visitor.emulate_media(color_scheme=scheme)
        await assert_accessible(visitor, f"the widget's rating, {scheme}")

    # Send without stars: said in plain words, nothing sent.
    await tid(visitor, "rating-send").click()
    await expect(tid(visitor, "rating-error")).to_have_text("Please choose 1 to 5 stars, or skip.")

    # The keyboard: the first star takes the focus, arrows move the choice, Enter sends.
    await tid(visitor, "rating-star-1").focus()
    await visitor.keyboard.press("Space")
    for _ in range(3):
        await visitor.keyboard.press("ArrowRight")
    await expect(tid(visitor, "rating-star-4")).to_be_checked()
    await tid(visitor, "rating-comment").fill("Quick <b>help</b>, thanks")
    await tid(visitor, "rating-star-4").focus()
    await visitor.keyboard.press("Enter")
    await expect(tid(visitor, "rating-done")).to_have_text(
        "Thanks for your rating.", timeout=WAIT_MS
    )
    await expect(form).to_be_hidden()
    # Sent: the WebSocket kept for it closes.
    await visitor.wait_for_function(
        "() => document.querySelector('supportcall-widget').rating.phone === null", timeout=WAIT_MS
    )

    assert rating_of(web, call) == (4, "Quick <b>help</b>, thanks", True)

    # The agent's recent calls show the stars (told at once by call.rated), the words as text.
    rating = agent.locator(
        f"[data-testid=recent-call][data-call-id='{call.call_id}'] [data-testid=recent-rating]"
    )
    await expect(rating).to_have_attribute("data-stars", "4", timeout=WAIT_MS)
    await expect(rating).to_contain_text("Rated 4 of 5")
    await expect(rating).to_contain_text("Quick <b>help</b>, thanks")
    await expect(rating.locator("b")).to_have_count(0)


async def test_skipping_the_rating_sends_nothing(web, chromium, dashboards):
    _, visitor, call = await answered(web, chromium, dashboards, "rating-skip.html")
    await click_when_ready(visitor, "hangup")
    await expect(tid(visitor, "rating-form")).to_be_visible(timeout=WAIT_MS)
    # The call's WebSocket is kept open for the rating only: Skip closes it.
    kept = await visitor.evaluate(
        "() => { window.kept = document.querySelector('supportcall-widget').rating.phone;"
        " return window.kept && window.kept.ws.readyState; }"
    )
    assert kept == 1  # OPEN
    await tid(visitor, "rating-skip").click()
    await expect(tid(visitor, "rating-form")).to_be_hidden()
    await expect(tid(visitor, "rating-done")).to_be_hidden()
    await visitor.wait_for_function("() => window.kept.ws.readyState === 3", timeout=WAIT_MS)
    assert rating_of(web, call) == (None, "", False)
