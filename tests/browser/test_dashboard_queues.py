"""The agent's queues on the dashboard: callers waiting in them, live; a closed queue and
when it opens; the reason the server gives when it sets the agent away."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.support.browser import WAIT_MS, in_progress, incoming
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

SUPPORT = "support@support.example.com"


def queue_setting(web, code: str) -> None:
    django_shell(
        web.env,
        "from supportcall.directory.models import *; "
        f"q = Queue.objects.get(name='support'); {code}",
    )


async def test_the_agent_sees_a_caller_waiting_and_for_how_long_until_the_caller_leaves(
    dashboards, visitors
):
    page = await dashboards("alice")
    ada = await (await visitors()).call(media="audio")
    await incoming(page, ada).get_by_test_id("accept-audio").click()
    await expect(in_progress(page, ada, "in_call")).to_be_visible(timeout=WAIT_MS)
    waiting = page.get_by_test_id("queue-waiting")
    await expect(waiting).to_have_count(0)
    # Alice is on a call: the next caller waits, and Alice sees it.
    bea = await (await visitors(display_name="Bea")).call(media="audio")
    await bea.wait_for_state("queued", timeout=10)
    await expect(waiting).to_have_attribute("data-queue", SUPPORT, timeout=WAIT_MS)
    await expect(waiting).to_contain_text("1 caller is waiting in support")
    await expect(page.locator("#queue-live")).to_have_text("1 caller is waiting in support")
    # A tab opened now, after the last change, knows it too (from calls.json).
    later = await dashboards(open_tab=page)
    await expect(later.get_by_test_id("queue-waiting")).to_contain_text(
        "1 caller is waiting in support", timeout=WAIT_MS
    )
    await later.close()
    # The longest wait counts on, second by second.
    await expect(waiting.locator(".wait-time")).to_have_text(re.compile(r"^0:0[0-2]$"))
    await asyncio.sleep(2.2)
    await expect(waiting.locator(".wait-time")).to_have_text(re.compile(r"^0:0[2-5]$"))
    carl = await (await visitors(display_name="Carl")).call(media="audio")
    await carl.wait_for_state("queued", timeout=10)
    await expect(waiting).to_contain_text("2 callers are waiting in support", timeout=WAIT_MS)
    await bea.end()
    await expect(waiting).to_contain_text("1 caller is waiting in support", timeout=WAIT_MS)
    await carl.end()
    await expect(waiting).to_have_count(0, timeout=WAIT_MS)
    await expect(page.get_by_test_id("queue-notes")).to_be_hidden()
    await ada.end()


async def test_an_agent_set_away_after_missed_calls_is_told_why(dashboards, visitors, web):
    queue_setting(web, "q.ring_timeout = 1; q.save()")
    try:
        page = await dashboards("alice")
        call = await (await visitors()).call(media="audio")
        # Alice lets it ring out three times (1 s each): the server sets her away, saying why.
        await expect(page.get_by_test_id("presence")).to_have_value("away", timeout=15_000)
        toast = page.get_by_test_id("result")
        await expect(toast).to_have_attribute("data-ok", "false")
        await expect(toast).to_contain_text("You missed 3 calls in a row, so you were set away.")
        await expect(page.locator("#idle-text")).to_have_text(
            "You missed 3 calls in a row, so you were set away. Switch to Available to take calls."
        )
        if not call.ended:  # with nobody left who could answer, the server may end it first
            await call.end()
    finally:
        queue_setting(web, "q.ring_timeout = 20; q.save()")


async def test_a_closed_queue_is_shown_with_when_it_opens_in_its_time_zone(dashboards, web):
    # Closed every day but Monday 9:00-17:00, in Paris; today and tomorrow closed too.
    queue_setting(
        web,
        "import datetime; from django.utils import timezone; "
        "q.timezone = 'Europe/Paris'; q.save(); "
        "OpeningHours.objects.create(queue=q, weekday=0, opens=datetime.time(9), "
        "closes=datetime.time(17)); "
        "days = [timezone.localdate() + datetime.timedelta(days=d) for d in range(7)]; "
        "[ClosedDay.objects.create(queue=q, date=d) for d in days if d.weekday() == 0]",
    )
    try:
        page = await dashboards("alice")
        closed = page.get_by_test_id("queue-closed")
        await expect(closed).to_have_attribute("data-queue", SUPPORT, timeout=WAIT_MS)
        # The Monday of this week (or today) is closed: the next Monday, more than 6 days away.
        await expect(closed).to_contain_text(
            re.compile(
                r"^support is closed; it opens again \d{4}-\d\d-\d\d 9:00 \(Europe/Paris time\)"
            )
        )
    finally:
        queue_setting(
            web,
            "q.timezone = 'UTC'; q.save(); q.hours.all().delete(); q.closed_days.all().delete()",
        )
