"""The dashboard, the sign-in page and the admin in the agent's language (Django's
catalogues, supportcall/locale/), chosen by the browser's Accept-Language: German
labels from the templates and from the dashboard's scripts (the JavaScript catalogue),
Arabic laid out right to left, the admin's login in French."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import WAIT_MS, in_progress, incoming, screenshot

pytestmark = pytest.mark.browser

HTML = "document.documentElement"
USERNAME_FR = "Nom d\u2019utilisateur"  # with a typographic apostrophe, as Django says it


async def page_language(page) -> list[str]:
    return await page.evaluate(
        f"[{HTML}.lang, {HTML}.dir, getComputedStyle(document.body).direction]"
    )


async def test_the_dashboard_in_german_shows_german_words_through_a_whole_call(
    dashboards, visitors
):
    page = await dashboards("alice", locale="de-DE")
    assert await page_language(page) == ["de", "ltr", "ltr"]
    # From the template...
    await expect(page.get_by_role("heading", name="Anrufe", exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name="Letzte Anrufe")).to_be_visible()
    await expect(page.get_by_test_id("presence").locator("option")).to_have_text(
        [
            "Verfügbar",
            "Abwesend",
            # The away reasons a new installation has (the admin's list), in German too.
            "Abwesend — Pause",
            "Abwesend — Mittagspause",
            "Abwesend — Schulung",
            "Abwesend — Besprechung",
        ]
    )
    # ...and from the dashboard's scripts.
    await expect(page.get_by_test_id("connection")).to_have_text("Verbunden")
    await expect(page.get_by_test_id("shortcuts")).to_contain_text("Auflegen")
    await expect(page.locator("#idle-title")).to_have_text("Warten auf Anrufe")

    call = await (await visitors()).call(media="audio")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await expect(card).to_have_attribute("aria-label", "Eingehender Anruf von Ada")
    await expect(card.get_by_test_id("accept-audio")).to_have_text("Annehmen")
    await expect(card.get_by_test_id("reject")).to_have_text("Ablehnen")
    await card.get_by_test_id("accept-audio").click()
    panel = in_progress(page, call, "in_call")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel.get_by_test_id("hold")).to_have_text("Halten")
    await expect(panel.get_by_test_id("hangup")).to_have_text("Auflegen")
    await expect(page.get_by_test_id("result")).to_have_text("Anruf angenommen.")
    await panel.get_by_test_id("hangup").click()
    await expect(in_progress(page, call, "ended")).to_be_visible(timeout=WAIT_MS)
    await expect(in_progress(page, call).locator(".end-reason")).to_have_text(
        "Sie haben den Anruf beendet."
    )
    await expect(page.get_by_test_id("recent-call").first).to_contain_text("Sie haben aufgelegt")


async def test_the_dashboard_in_arabic_is_laid_out_right_to_left(dashboards, visitors):
    page = await dashboards("alice", locale="ar")
    assert await page_language(page) == ["ar", "rtl", "rtl"]
    await expect(page.get_by_role("heading", name="المكالمات", exact=True)).to_be_visible()
    await expect(page.get_by_test_id("connection")).to_have_text("متصل")
    # Right to left: the brand starts the top bar at the right, the user ends it at the left;
    # the calls column comes first, at the right of the history.
    brand = await page.locator(".topbar .brand").bounding_box()
    user = await page.locator(".topbar-user").bounding_box()
    calls = await page.locator(".calls-column").bounding_box()
    history = await page.locator(".history-column").bounding_box()
    assert brand and user and calls and history
    assert user["x"] + user["width"] <= brand["x"]
    assert history["x"] + history["width"] <= calls["x"]
    await assert_accessible(page, "idle in Arabic")

    call = await (await visitors()).call(media="audio")
    card = incoming(page, call)
    await expect(card).to_be_visible(timeout=WAIT_MS)
    await expect(card.get_by_test_id("accept-audio")).to_have_text("قبول")
    await assert_accessible(page, "ringing in Arabic")
    await screenshot(page, "dashboard-ar")
    await card.get_by_test_id("reject").click()
    await expect(card).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    await expect(card.locator(".end-reason")).to_have_text("تم رفض المكالمة.")


async def test_the_sign_in_page_and_the_admin_login_in_french(browser, web):
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(f"{web.url}/accounts/login/")
    assert await page_language(page) == ["fr", "ltr", "ltr"]
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Connectez-vous pour prendre des appels"
    )
    await expect(page.get_by_label(USERNAME_FR)).to_be_visible()
    await expect(page.get_by_role("button", name="Se connecter")).to_be_visible()

    await page.goto(f"{web.url}/admin/login/")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_label(USERNAME_FR)).to_be_visible()
    await expect(page.get_by_label("Mot de passe")).to_be_visible()
    await expect(page.get_by_role("button", name="Connexion")).to_be_visible()
    await context.close()


async def test_the_language_chooser_switches_the_dashboard_by_keyboard_alone(dashboards):
    page = await dashboards("alice")
    chooser = page.get_by_test_id("language")
    await expect(chooser).to_have_value("en")
    await expect(page.get_by_role("combobox", name="Language", exact=True)).to_have_count(1)
    await chooser.focus()
    await page.keyboard.press("ArrowDown")  # English -> Deutsch; nothing is sent yet
    await expect(chooser).to_have_value("de")
    await expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
    await page.keyboard.press("Tab")
    await expect(page.get_by_test_id("language-change")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Anrufe", exact=True)).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(page).to_have_url(re.compile(r"/agent/$"))
    await expect(page.get_by_test_id("connection")).to_have_text("Verbunden", timeout=WAIT_MS)
    await expect(page.get_by_test_id("language")).to_have_value("de")
    await assert_accessible(page, "idle, after choosing German")
