"""The widget in the visitor's language, in a real Chromium answered by the Python agent.

Each shipped language runs a whole call (start, the agent answers, hang up) and shows
that language's words, read from its catalogue (static/supportcall/widget/lang/);
Arabic is laid out right to left; axe finds nothing serious in any of them; the
language follows data-lang, else the page's <html lang>, else the browser's, else
the site's default.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support.axe import assert_accessible
from tests.support.browser import PAGES, WAIT_MS, embed_tag, expect_state, screenshot, tid
from tests.support.servers import django_shell

pytestmark = pytest.mark.browser

LANG = Path(__file__).resolve().parents[2] / "static" / "supportcall" / "widget" / "lang"
LANGUAGES = ["en", "de", "fr", "es", "ar"]
SHADOW = "document.querySelector('supportcall-widget').shadowRoot"
PANEL_DIRECTION = f"getComputedStyle({SHADOW}.querySelector('.panel')).direction"
WIDGET_LANG = f"{SHADOW}.querySelector('.root').lang"
ARABIC_INDIC = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"


async def digit_pattern(page, locale: str) -> str:
    """A digit as the browser's Intl.NumberFormat writes them for ``locale``."""
    zero = await page.evaluate("(locale) => new Intl.NumberFormat(locale).format(0)", locale)
    return f"[{zero}-{chr(ord(zero) + 9)}]"


def words(code: str) -> dict[str, str]:
    return json.loads((LANG / f"{code}.json").read_text(encoding="utf-8"))


def page_html(web, *, page_lang: str | None = "en", **attributes: str) -> str:
    lang = f' lang="{page_lang}"' if page_lang is not None else ""
    return f"""<!doctype html>
<html{lang}><head><meta charset="utf-8"><title>Example shop</title></head><body>
<h1>Example shop</h1>
{embed_tag(web.url, **attributes)}
</body></html>"""


async def open_in(chromium, web, name, *, locale="en-US", html=None, widget=True):
    """A fresh browser whose languages are `locale`, on a customer page of another origin."""
    browser = await chromium()
    page = await browser.new_page(locale=locale, viewport={"width": 1280, "height": 800})
    page.logs = []
    page.on("console", lambda message: page.logs.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.logs.append(f"pageerror: {error}"))
    PAGES.append(page)
    await page.goto(web.pages.page(name, html if html is not None else page_html(web)))
    if widget:
        await expect(tid(page, "call-button")).to_be_visible(timeout=WAIT_MS)
    return page


async def set_default_language(web, code: str) -> None:
    django_shell(
        web.env,
        f"from supportcall.directory.models import Site; "
        f"Site.objects.filter(key='demo').update(default_language={code!r})",
    )


@pytest.mark.parametrize("code", LANGUAGES)
async def test_a_whole_call_in_each_shipped_language_shows_its_words(web, chromium, alice, code):
    w = words(code)
    page = await open_in(chromium, web, f"call-{code}.html", html=page_html(web, lang=code))
    assert await page.evaluate(WIDGET_LANG) == code
    launcher = tid(page, "call-button")
    await expect(launcher).to_have_text(w["button.default"])

    await launcher.click()
    await expect_state(page, "idle", w["status.idle"])
    await expect(tid(page, "choose-audio")).to_have_text(w["choice.audio"])
    await expect(tid(page, "choose-video")).to_have_text(w["choice.video"])
    assert await page.evaluate(PANEL_DIRECTION) == ("rtl" if code == "ar" else "ltr")
    await assert_accessible(page, f"idle, in {code}")

    await tid(page, "choose-audio").click()
    await expect(tid(page, "hangup")).to_have_attribute("aria-label", w["control.cancelName"])
    incoming = await alice.next_incoming(timeout=15)
    await expect_state(page, "ringing", w["status.ringing"])
    await expect(launcher).to_have_text(w["launcher.calling"])
    await incoming.accept()
    await incoming.wait_for_state("in_call", timeout=15)
    await expect_state(page, "in_call", w["status.in_call"])
    await expect(tid(page, "mute")).to_have_text(w["control.mute"])
    await expect(tid(page, "hold")).to_have_text(w["control.hold"])
    await expect(tid(page, "hangup")).to_have_text(w["control.hangUp"])
    await expect(tid(page, "hangup")).to_have_attribute("aria-label", w["control.hangUpName"])
    before, after = w["launcher.inCall"].split("{time}")
    in_call = re.compile(f"^{re.escape(before)}\\d\\d:\\d\\d{re.escape(after)}$")
    await expect(launcher).to_have_text(in_call)
    digit = await digit_pattern(page, code)
    await expect(tid(page, "timer")).to_have_text(re.compile(f"^{digit}{{2}}:{digit}{{2}}$"))
    await assert_accessible(page, f"in a call, in {code}")
    if code in ("de", "ar"):
        await screenshot(page, f"widget-{code}")

    await tid(page, "hangup").click()
    ended = w["status.endedBecause"].replace("{reason}", w["explain.ended_by_local"])
    await expect_state(page, "ended", ended)
    await incoming.wait_for_state("ended", timeout=10)
    await expect(launcher).to_have_text(w["button.default"])
    assert not [line for line in page.logs if line.startswith("pageerror")], page.logs


async def test_the_call_timer_is_written_in_the_digits_of_the_locale(web, chromium):
    page = await open_in(chromium, web, "digits.html")
    words_js = f"{web.url}/static/supportcall/widget/words.js"
    clocks = await page.evaluate(
        """async (url) => {
            const { clock } = await import(url);
            return [clock(65000, "en"), clock(65000, "de"), clock(65000, "ar-EG"),
                    clock(3723000, "ar-EG"), clock(3723000, "fr")];
        }""",
        words_js,
    )
    d = ARABIC_INDIC
    assert clocks == [
        "01:05",
        "01:05",
        f"{d[0]}{d[1]}:{d[0]}{d[5]}",
        f"{d[1]}:{d[0]}{d[2]}:{d[0]}{d[3]}",
        "1:02:03",
    ]


async def test_arabic_mirrors_the_widget_to_the_left_of_the_page(web, chromium):
    page = await open_in(chromium, web, "mirror-ar.html", html=page_html(web, lang="ar"))
    await tid(page, "call-button").click()
    panel = page.locator("supportcall-widget").locator(".panel")
    box = await panel.bounding_box()
    assert box is not None and box["x"] < 640 / 2, box
    assert await page.evaluate(PANEL_DIRECTION) == "rtl"
    head = await page.locator("supportcall-widget").locator(".head").bounding_box()
    close = await tid(page, "close").bounding_box()
    assert head and close
    assert close["x"] < head["x"] + head["width"] / 2, "the close button is not on the left"


@pytest.mark.parametrize(
    ("data_lang", "page_lang", "locale", "default", "expected"),
    [
        ("fr", "de", "es-ES", "en", "fr"),  # data-lang beats the page's lang
        ("", "de-AT", "es-ES", "en", "de"),  # the page's lang beats the browser's; de-AT is de
        ("", None, "es-MX", "en", "es"),  # no page lang: the browser's
        ("xx", "ja", "es-ES", "en", "es"),  # a language not shipped is skipped
        ("", "ja", "ja-JP", "ar", "ar"),  # nothing shipped asked for: the site's default
        ("", "ja", "ja-JP", "en", "en"),  # ... which is English unless set
    ],
)
async def test_the_language_follows_data_lang_then_the_page_then_the_browser_then_the_site(
    web, chromium, data_lang, page_lang, locale, default, expected
):
    await set_default_language(web, default)
    try:
        attributes = {"lang": data_lang} if data_lang else {}
        html = page_html(web, page_lang=page_lang, **attributes)
        page = await open_in(chromium, web, "choose.html", locale=locale, html=html)
        # Nobody is online: "<button text> (no agent available)", in that language.
        unavailable = words(expected)["line.launcherUnavailable"]
        text = unavailable.replace("{text}", words(expected)["button.default"])
        await expect(tid(page, "call-button")).to_have_text(text)
        assert await page.evaluate(WIDGET_LANG) == expected
    finally:
        await set_default_language(web, "en")


async def test_the_status_says_the_sites_default_language(web, chromium):
    import urllib.request

    await set_default_language(web, "de")
    try:

        def status() -> dict:
            with urllib.request.urlopen(f"{web.url}/api/v1/sites/demo/status") as response:
                return json.load(response)

        assert (await asyncio.to_thread(status))["default_language"] == "de"
    finally:
        await set_default_language(web, "en")


async def test_opening_times_and_waits_are_in_the_visitors_language_and_zone(web, chromium):
    blank = "<!doctype html><title>No widget</title>"
    page = await open_in(chromium, web, "blank.html", html=blank, widget=False)
    words_js = f"{web.url}/static/supportcall/widget/words.js"
    said = await page.evaluate(
        """async (url) => {
            const m = await import(url);
            const now = new Date("2026-12-02T12:00:00Z");  // a Wednesday
            const out = {};
            for (const code of ["en", "de", "fr", "es"]) {
                await m.loadWords(code);
                out[code] = [
                    m.openingWords("2026-12-03T09:00:00+01:00", "Europe/Paris", now),
                    m.openingWords("2026-12-07T09:00:00+01:00", "Europe/Paris", now),
                    m.openingWords("2026-12-03T08:00:00Z", "UTC", now),
                    m.waitWords(150),
                    m.waitWords(20),
                ].map((text) => text.replace(/[\u00a0\u202f]/g, " "));  // Intl's no-break spaces
            }
            return out;
        }""",
        words_js,
    )
    assert said == {
        "en": [
            "tomorrow 9:00 AM (Paris time)",
            "Monday 9:00 AM (Paris time)",
            "tomorrow 8:00 AM (UTC)",
            "about 3 min",
            "under a minute",
        ],
        "de": [
            "morgen 9:00 (Ortszeit Paris)",
            "Montag 9:00 (Ortszeit Paris)",
            "morgen 8:00 (UTC)",
            "etwa 3 Min.",
            "unter einer Minute",
        ],
        "fr": [
            "demain à 9:00 (heure de Paris)",
            "lundi à 9:00 (heure de Paris)",
            "demain à 8:00 (UTC)",
            "environ 3 min",
            "moins d\u2019une minute",
        ],
        "es": [
            "mañana a las 9:00 (hora de Paris)",
            "lunes a las 9:00 (hora de Paris)",
            "mañana a las 8:00 (UTC)",
            "unos 3 min",
            "menos de un minuto",
        ],
    }
