"""Verified visitors in real browsers: the page hands the widget a token its site's backend
signed (data-identity), and the agent's dashboard shows "Verified" with the signed name,
apart from the page's unsigned context."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.async_api import expect

from supportcall.client.signaling import ANONYMOUS_LOGIN_PATH, http_login
from tests.support.axe import assert_accessible
from tests.support.browser import (
    CALL,
    WAIT_MS,
    click_when_ready,
    expect_state,
    host_page,
    in_progress,
    incoming,
    start_call,
    tid,
    wait_true,
)
from tests.support.identity import sign
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

SITE = "from supportcall.directory.models import Site; site = Site.objects.get(key='demo'); "


def make_secret(web) -> str:
    """What the admin's 'Make a new identity secret' shows once."""
    return django_shell(web.env, SITE + "print(site.rotate_identity_secret())").split()[-1]


async def test_a_widget_with_data_identity_calls_and_the_dashboard_shows_verified_with_the_name(
    web, chromium, dashboards
):
    token = sign(
        make_secret(web),
        site="demo",
        name="Grace Hopper",
        email="grace@example.com",
        attributes={"plan": "gold"},
    )
    agent = await dashboards("alice")
    visitor = await host_page(web, chromium, "verified.html", identity=token, context_order="1042")
    await start_call(visitor, "audio")
    await wait_true(visitor, f"{CALL} && {CALL}.id", timeout=WAIT_MS)
    call = SimpleNamespace(call_id=await visitor.evaluate(f"{CALL}.id"))

    card = incoming(agent, call)
    verified = card.get_by_test_id("verified")
    badge = verified.get_by_test_id("verified-badge")
    await expect(badge).to_have_text("Verified", timeout=WAIT_MS)
    await expect(verified).to_contain_text("Grace Hopper")
    await expect(verified).to_contain_text("grace@example.com")
    await expect(verified).to_contain_text("gold")
    # The page's context is there too, outside the verified box and captioned as the page's.
    context = card.get_by_test_id("context")
    await expect(context).to_contain_text("1042")
    await expect(context).not_to_contain_text("Grace Hopper")
    await expect(card).to_contain_text("Given by the page (not verified)")
    await assert_accessible(agent, "a verified caller ringing", include="[data-testid=incoming]")

    await card.get_by_test_id("accept-audio").click()
    await expect_state(visitor, "in_call", "In call")
    panel = in_progress(agent, call, "in_call")
    await expect(panel.get_by_test_id("verified")).to_contain_text("Grace Hopper", timeout=WAIT_MS)
    await click_when_ready(visitor, "hangup")
    await expect_state(visitor, "ended")
    # The agent's recent calls mark it verified too.
    recent = agent.locator(f'[data-testid=recent-call][data-call-id="{call.call_id}"]')
    await expect(recent.get_by_test_id("recent-verified")).to_have_text("Verified", timeout=WAIT_MS)


async def test_a_site_requiring_verification_tells_a_visitor_without_a_token_in_plain_words(
    web, chromium, alice
):
    make_secret(web)
    django_shell(web.env, SITE + "site.require_verified_identity = True; site.save()")
    try:
        visitor = await host_page(web, chromium, "unverified.html")
        await start_call(visitor, "audio")
        await expect_state(visitor, "error", "The call could not start")
        await expect(tid(visitor, "error")).to_have_text(
            "Only signed-in customers can call from this page. "
            "Please sign in to the site and try again.",
            timeout=WAIT_MS,
        )
    finally:
        django_shell(web.env, SITE + "site.require_verified_identity = False; site.save()")


async def test_a_token_used_up_is_refused_in_plain_words_on_the_next_call(web, chromium, alice):
    token = sign(make_secret(web), site="demo")
    # The token logs a visitor in once (here a program), then never again.
    first = await http_login(web.url, ANONYMOUS_LOGIN_PATH, {"site": "demo", "identity": token})
    assert first["verified"]["sub"] == "customer-42"
    again = await host_page(web, chromium, "twice.html", identity=token)
    await start_call(again, "audio")
    await expect(tid(again, "error")).to_have_text(
        "This site could not confirm who you are, so the call was not placed. "
        "Please reload the page and try again.",
        timeout=WAIT_MS,
    )
