"""axe-core over every state of the widget a visitor meets: no serious or critical
violation (WCAG 2.1 AA), the widget's Shadow DOM included; the launcher's name is
what it shows; and a visitor who asks for less motion gets none."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import (
    WAIT_MS,
    WIDGET,
    click_when_ready,
    expect_state,
    host_page,
    start_call,
    tid,
)
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser


async def launcher_named_as_shown(page, text: str) -> None:
    """The launcher shows ``text`` and a screen reader hears the same (WCAG 2.5.3)."""
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text(text, timeout=WAIT_MS)
    await expect(page.get_by_role("button", name=text, exact=True)).to_have_count(1)


async def test_every_state_of_a_call_has_no_serious_accessibility_violation(web, chromium, alice):
    page = await host_page(web, chromium, "a11y-call.html")
    await expect(tid(page, "call-button")).to_have_attribute("data-line", "open", timeout=WAIT_MS)
    await assert_accessible(page, "launcher")
    await tid(page, "call-button").click()
    await expect(tid(page, "choose-audio")).to_be_visible()
    await assert_accessible(page, "idle panel")

    await tid(page, "choose-audio").click()
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    await assert_accessible(page, "ringing")
    await launcher_named_as_shown(page, "Calling…")

    await incoming.accept()
    await expect_state(page, "in_call", "In call")
    await assert_accessible(page, "in call")
    name = await tid(page, "call-button").text_content()
    assert name and name.startswith("In call ")
    launcher_name = await tid(page, "call-button").evaluate(
        "b => b.getAttribute('aria-label') ?? b.textContent"
    )
    assert launcher_name.startswith("In call ")

    await click_when_ready(page, "hold")
    await expect_state(page, "on_hold")
    await assert_accessible(page, "on hold")
    await launcher_named_as_shown(page, "On hold")

    await click_when_ready(page, "hangup")
    await expect_state(page, "ended")
    await assert_accessible(page, "ended")
    await launcher_named_as_shown(page, "Call support")


async def test_an_error_and_the_callback_form_have_no_serious_accessibility_violation(
    web, chromium, alice
):
    page = await host_page(web, chromium, "a11y-error.html", grant_media=False)
    await start_call(page)
    await expect_state(page, "error")
    await expect(tid(page, "error")).to_be_visible()
    await assert_accessible(page, "error")

    await alice.close()  # nobody left: the line is unavailable, a callback is offered
    await tid(page, "close").click()
    await expect(tid(page, "call-button")).to_have_attribute(
        "data-line", "unavailable", timeout=WAIT_MS * 3
    )
    await tid(page, "call-button").click()
    await expect(tid(page, "callback-offer")).to_be_visible()
    await assert_accessible(page, "unavailable, callback offered")
    await tid(page, "callback-offer").click()
    await expect(tid(page, "callback-form")).to_be_visible()
    await assert_accessible(page, "callback form")
    await tid(page, "callback-submit").click()
    await expect(tid(page, "callback-error")).to_be_visible()
    await assert_accessible(page, "callback form with a problem")


async def test_a_visitor_who_asks_for_less_motion_gets_no_animation(web, chromium, alice):
    page = await host_page(web, chromium, "a11y-motion.html")
    await page.emulate_media(reduced_motion="reduce")
    await tid(page, "call-button").click()
    await tid(page, "choose-audio").click()
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing")
    running = await page.evaluate(
        f"document.querySelector('{WIDGET}').shadowRoot.getAnimations().length"
    )
    assert running == 0
    # Nor transitions: the launcher's hover lift, the controls' fades.
    durations = await page.evaluate(
        f"""[...document.querySelector('{WIDGET}').shadowRoot.querySelectorAll('*')]
            .map((el) => getComputedStyle(el).transitionDuration)
            .filter((d) => d.split(',').some((t) => parseFloat(t) > 0))"""
    )
    assert durations == []
    await incoming.reject()
    await expect_state(page, "ended")


async def test_waiting_in_line_and_a_closed_line_have_no_serious_accessibility_violation(
    web, chromium
):
    queue = "from supportcall.directory.models import Queue, ClosedDay;"
    django_shell(
        web.env, queue + "Queue.objects.filter(name='support').update(wait_when_empty=True)"
    )
    try:
        page = await host_page(web, chromium, "a11y-queued.html")
        await start_call(page)
        await expect_state(page, "queued")
        await expect(tid(page, "queue-position")).to_be_visible(timeout=WAIT_MS)
        await assert_accessible(page, "waiting in line")
        await click_when_ready(page, "hangup")
        await expect_state(page, "ended")
    finally:
        django_shell(
            web.env, queue + "Queue.objects.filter(name='support').update(wait_when_empty=False)"
        )
    django_shell(
        web.env,
        queue + "from django.utils import timezone;"
        "ClosedDay.objects.create(queue=Queue.objects.get(name='support'),"
        " date=timezone.localdate())",
    )
    try:
        page = await host_page(web, chromium, "a11y-closed.html")
        await expect(tid(page, "call-button")).to_have_attribute(
            "data-line", "closed", timeout=WAIT_MS
        )
        await assert_accessible(page, "closed launcher")
        await tid(page, "call-button").click()
        await expect(tid(page, "callback-offer")).to_be_focused()
        await assert_accessible(page, "closed panel")
    finally:
        django_shell(web.env, queue + "ClosedDay.objects.all().delete()")
