"""After-call work in the dashboard: the wrap-up panel after a call, its countdown, the
outcome and notes saved onto the call's record; away with a reason."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, in_progress, incoming, result
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser


@pytest.fixture
def wrap_up_queue(web):
    """The demo's support queue wraps up 60 s; outcomes Solved and Refund."""
    django_shell(
        web.env,
        "from supportcall.directory.models import Queue;"
        "from supportcall.calls.models import Disposition;"
        "Queue.objects.filter(name='support').update(wrap_up_seconds=60);"
        "Disposition.objects.get_or_create(label='Solved', order=1);"
        "Disposition.objects.get_or_create(label='Refund', order=2)",
    )


def seconds_left(text: str) -> int:
    minutes, seconds = re.fullmatch(r"(\d+):(\d\d) left", text).groups()  # type: ignore[union-attr]
    return int(minutes) * 60 + int(seconds)


async def test_after_a_call_the_agent_picks_an_outcome_types_notes_and_saves_them_on_the_record(
    dashboards, visitors, web, wrap_up_queue
):
    page = await dashboards("alice")
    panel = page.get_by_test_id("wrap-up")
    await expect(panel).to_be_hidden()
    call = await (await visitors()).call(media="audio")
    await incoming(page, call).get_by_test_id("accept-audio").click()
    await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await call.wait_for_state("in_call", timeout=WAIT_MS / 1000)
    await call.end()

    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_text("Waiting for calls")).to_be_hidden()
    clock = panel.get_by_test_id("wrap-up-time")
    await expect(clock).to_have_text(re.compile(r"^(1:00|0:5\d) left$"))
    first = seconds_left(await clock.inner_text())
    await expect(clock).not_to_have_text(f"{first // 60}:{first % 60:02d} left", timeout=3000)
    assert seconds_left(await clock.inner_text()) < first  # it counts down

    outcome = panel.get_by_label("Outcome")
    await expect(outcome).to_be_focused()  # the keyboard starts in the panel
    await assert_accessible(page, "wrap-up")
    assert await outcome.locator("option").all_inner_texts() == ["No outcome", "Solved", "Refund"]
    extend = panel.get_by_role("button", name="Extend")
    await extend.click()
    await result(page, True, "You have more time.")
    await expect(extend).to_be_disabled()
    assert seconds_left(await clock.inner_text()) > 60

    await outcome.select_option(label="Refund")
    await panel.get_by_label("Notes").fill("Refunded order 1042.\nSend the label.")
    await panel.get_by_role("button", name="Save").click()
    await result(page, True, "Saved on the call's record.")
    await expect(panel).to_be_hidden()
    await expect(page.get_by_text("Waiting for calls")).to_be_visible()
    saved = django_shell(
        web.env,
        "from supportcall.calls.models import Call;"
        f"c = Call.objects.get(pk='{call.call_id}');"
        "print(repr((c.disposition.label, c.notes, c.wrap_up_ended is not None)))",
    )
    assert saved.strip().splitlines()[-1] == repr(
        ("Refund", "Refunded order 1042.\nSend the label.", True)
    )


async def test_the_presence_select_offers_the_away_reasons_and_says_which_was_chosen(dashboards):
    page = await dashboards("alice")
    presence = page.get_by_test_id("presence")
    labels = await presence.locator("option").all_inner_texts()
    assert labels == [
        "Available",
        "Away",
        "Away — Break",
        "Away — Lunch",
        "Away — Training",
        "Away — Meeting",
    ]
    await presence.select_option(label="Away — Lunch")
    await result(page, True, "You are away")
    await page.reload()
    await expect(presence).to_be_enabled(timeout=WAIT_MS)
    await expect(presence.locator("option:checked")).to_have_text("Away — Lunch")
    await presence.select_option("available")
    await result(page, True, "You are available")


async def test_the_team_view_shows_why_an_agent_is_away_and_for_how_long(dashboards):
    sam = await dashboards("sam")  # the demo's supervisor
    alice = await dashboards("alice")
    await alice.get_by_test_id("presence").select_option(label="Away — Lunch")
    await result(alice, True, "You are away")
    team = sam.get_by_test_id("supervisor")
    at_alice = team.locator('[data-testid=team-agent][data-agent="alice@support.example.com"]')
    await expect(at_alice).to_have_attribute("data-presence", "away", timeout=WAIT_MS)
    await expect(at_alice).to_contain_text(re.compile(r"Away — Lunch · 0:\d\d"))
    await alice.get_by_test_id("presence").select_option("available")
    await expect(at_alice).to_have_attribute("data-presence", "available", timeout=WAIT_MS)
    await expect(at_alice).not_to_contain_text("Lunch")
