"""The widget and the line's state: closed, nobody online, waiting, and callback requests."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import expect

from supportcall.client import Agent, Visitor
from tests.support.browser import WAIT_MS, WIDGET, expect_state, host_page, tid
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

QUEUE = (
    "from supportcall.directory.models import Queue, ClosedDay;"
    "q = Queue.objects.get(name='support');"
)


def shell(web, code: str) -> str:
    return django_shell(web.env, code)


@pytest.fixture
def line(web):
    """Put the demo queue back as it was after each test."""
    yield lambda code: shell(web, QUEUE + code)
    shell(
        web,
        QUEUE + "ClosedDay.objects.all().delete();"
        "Queue.objects.filter(pk=q.pk).update(wait_when_empty=False, max_wait=300);"
        "from supportcall.callbacks.models import CallbackRequest;"
        "CallbackRequest.objects.all().delete()",
    )


def callbacks(web) -> list[dict]:
    out = shell(
        web,
        "import json; from supportcall.callbacks.models import CallbackRequest;"
        "print(json.dumps([c.as_json() for c in CallbackRequest.objects.all()]))",
    )
    return json.loads(out.strip().splitlines()[-1])


async def fill_callback(page, **fields):
    for name, value in fields.items():
        await tid(page, f"callback-{name}").fill(value)
    await tid(page, "callback-submit").click()


async def test_a_closed_line_says_when_it_opens_and_takes_a_callback_request(web, chromium, line):
    line(
        "from django.utils import timezone;"
        "ClosedDay.objects.create(queue=q, date=timezone.localdate())"
    )
    page = await host_page(web, chromium, "closed.html")
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text("Closed — open tomorrow 12:00 AM (UTC)", timeout=WAIT_MS)
    await launcher.click()
    await expect(tid(page, "status")).to_have_text(
        "We are closed now. We open tomorrow 12:00 AM (UTC)."
    )
    await expect(tid(page, "choose-audio")).to_have_attribute("aria-disabled", "true")
    await tid(page, "choose-audio").click(force=True)
    await expect_state(page, "idle")  # a disabled choice calls nobody
    await tid(page, "callback-offer").click()
    await expect(tid(page, "callback-name")).to_be_focused()
    await fill_callback(page, name="Ada", phone="+33 6 12 34 56 78", note="About order 1042")
    await expect(tid(page, "callback-done")).to_have_text(
        "Thank you, Ada. We will get back to you at +33 6 12 34 56 78.", timeout=WAIT_MS
    )
    [request] = callbacks(web)
    assert (request["name"], request["phone"], request["note"], request["queue"]) == (
        "Ada",
        "+33 6 12 34 56 78",
        "About order 1042",
        "support@support.example.com",
    )
    assert request["context"]["page"].endswith("/closed.html")


async def test_a_callback_request_without_phone_or_email_is_explained_and_not_sent(
    web, chromium, line
):
    page = await host_page(web, chromium, "unavailable.html")  # nobody online
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text("Call support (no agent available)", timeout=WAIT_MS)
    await launcher.click()
    await expect(tid(page, "status")).to_have_text("No agent is available right now.")
    await tid(page, "callback-offer").click()
    await fill_callback(page, name="Ada")
    await expect(tid(page, "callback-error")).to_have_text(
        "Please give a phone number or an email address."
    )
    bad_email = (
        "That email address does not look right. Please check it (for example ada@example.com)."
    )
    await fill_callback(page, email="not an email")
    await expect(tid(page, "callback-error")).to_have_text(bad_email)
    await expect(tid(page, "callback-email")).to_be_focused()
    # One only the server refuses: its own message is for developers, not shown.
    await fill_callback(page, email="ada@example..com")
    await expect(tid(page, "callback-error")).to_have_text(bad_email, timeout=WAIT_MS)
    assert callbacks(web) == []
    await fill_callback(page, email="ada@example.com")
    await expect(tid(page, "callback-done")).to_be_visible(timeout=WAIT_MS)
    assert [c["email"] for c in callbacks(web)] == ["ada@example.com"]


async def test_a_caller_waiting_in_the_queue_sees_its_place_then_is_answered(web, chromium, line):
    line("Queue.objects.filter(pk=q.pk).update(wait_when_empty=True)")
    page = await host_page(web, chromium, "waiting.html")
    await tid(page, "call-button").click()
    await tid(page, "choose-audio").click()
    await expect_state(page, "queued", "You are next in line")
    await expect(tid(page, "queue-position")).to_contain_text("Estimated wait", timeout=WAIT_MS)
    alice = Agent(web.url, "alice", web.password)
    await alice.connect()  # an agent comes online: the waiting call rings
    try:
        incoming = await alice.next_incoming(timeout=15)
        await incoming.accept()
        await expect_state(page, "in_call", "In call")
        await expect(tid(page, "queue-position")).to_be_hidden()
    finally:
        await alice.close()


async def test_with_every_agent_away_no_wait_is_promised_and_the_intro_says_so(web, chromium, line):
    alice = Agent(web.url, "alice", web.password)
    bob = Agent(web.url, "bob", web.password)
    await alice.connect()
    await bob.connect()
    try:
        await alice.set_presence("away")
        await bob.set_presence("away")
        page = await host_page(web, chromium, "away.html")
        launcher = tid(page, "call-button")
        await expect(launcher).to_have_attribute("data-line", "unavailable", timeout=WAIT_MS)
        await expect(launcher).to_have_text("Call support (no agent available)")
        await launcher.click()
        await expect(tid(page, "status")).to_have_text("No agent is available right now.")
        intro = page.locator(f"{WIDGET} .intro")
        await expect(intro).to_have_text("Leave your details and we will get back to you.")
        await expect(tid(page, "choose-audio")).to_have_attribute("aria-disabled", "true")
        await expect(tid(page, "callback-offer")).to_be_focused()
    finally:
        await alice.set_presence("available")
        await bob.set_presence("available")
        await alice.close()
        await bob.close()


async def test_the_launcher_shows_the_wait_when_every_agent_is_busy(web, chromium, line):
    alice = Agent(web.url, "alice", web.password)
    await alice.connect()
    caller = Visitor(web.url, "demo", display_name="Ada")
    await caller.connect()
    try:
        call = await caller.call(media="audio_single")
        incoming = await alice.next_incoming(timeout=15)
        await incoming.accept()
        await call.wait_for_state("in_call", timeout=15)
        page = await host_page(web, chromium, "busy.html")
        launcher = tid(page, "call-button")
        await expect(launcher).to_have_text("Call support (under a minute wait)", timeout=WAIT_MS)
        await launcher.click()
        await expect(page.locator(f"{WIDGET} .intro")).to_have_text(
            "All our agents are on other calls. Call and wait in line, by voice or video."
        )
        await expect(tid(page, "choose-audio")).not_to_have_attribute("aria-disabled", "true")
    finally:
        await caller.close()
        await alice.close()


async def test_a_free_agent_means_the_intro_promises_a_person_now(web, chromium, line):
    alice = Agent(web.url, "alice", web.password)
    await alice.connect()
    try:
        page = await host_page(web, chromium, "free.html")
        launcher = tid(page, "call-button")
        await expect(launcher).to_have_attribute("data-line", "open", timeout=WAIT_MS)
        await expect(launcher).to_have_text("Call support")
        await launcher.click()
        await expect(page.locator(f"{WIDGET} .intro")).to_have_text(
            "Talk to a person from our support team now, by voice or video."
            " No app or account needed."
        )
    finally:
        await alice.close()


async def test_a_closed_queue_says_when_it_opens_in_the_queues_time_zone(web, chromium, line):
    # Open one day a week, 9:00-17:00 Paris time: the day after tomorrow there.
    line(
        "from datetime import time; from zoneinfo import ZoneInfo;"
        "from django.utils import timezone;"
        "from supportcall.directory.models import OpeningHours;"
        "day = (timezone.now().astimezone(ZoneInfo('Europe/Paris')).weekday() + 2) % 7;"
        "Queue.objects.filter(pk=q.pk).update(timezone='Europe/Paris');"
        "OpeningHours.objects.filter(queue=q).delete();"
        "OpeningHours.objects.create(queue=q, weekday=day, opens=time(9), closes=time(17))"
    )
    try:
        page = await host_page(web, chromium, "paris.html")
        launcher = tid(page, "call-button")
        await expect(launcher).to_have_text(
            re.compile(r"^Closed — open [A-Z][a-z]+day 9:00 AM \(Paris time\)$"),
            timeout=WAIT_MS,
        )
    finally:
        line(
            "from supportcall.directory.models import OpeningHours;"
            "OpeningHours.objects.filter(queue=q).delete();"
            "Queue.objects.filter(pk=q.pk).update(timezone='UTC')"
        )


async def test_after_no_agents_the_widget_offers_a_callback(web, chromium, line):
    alice = Agent(web.url, "alice", web.password)
    await alice.connect()
    page = await host_page(web, chromium, "missed.html")
    # The line looked open when the page asked, then nobody was left.
    await expect(tid(page, "call-button")).to_have_attribute("data-line", "open", timeout=WAIT_MS)
    await alice.close()
    await tid(page, "call-button").click()
    await tid(page, "choose-audio").click(force=True)
    await expect_state(page, "ended")
    await expect(tid(page, "error")).to_contain_text("No agent is available", timeout=WAIT_MS)
    await tid(page, "callback-offer").click()
    await fill_callback(page, name="Ada", email="ada@example.com")
    await expect(tid(page, "callback-done")).to_be_visible(timeout=WAIT_MS)
    [request] = callbacks(web)
    assert request["missed_call"]
