"""phone.js's words of the contract are supportcall/vocabulary.py's, value for value.

The browser (widget, dashboard) imports them from phone.js, the server and the
Python client from vocabulary.py: this is where the two copies meet.
"""

from __future__ import annotations

import pytest

from supportcall import vocabulary

pytestmark = pytest.mark.browser

ENUMS = (
    vocabulary.Role,
    vocabulary.Media,
    vocabulary.State,
    vocabulary.Op,
    vocabulary.Reason,
    vocabulary.ErrorCode,
    vocabulary.Close,
    vocabulary.Link,
    vocabulary.Presence,
    vocabulary.ScreenRefusal,
)
SETS = ("CONNECTED_STATES", "ENDING_OPS", "FINAL_CLOSES")


def members(words: type) -> dict[str, object]:
    """An enum's names and values; Close is a class of plain ints (see vocabulary.Close)."""
    if words is vocabulary.Close:
        return {name: value for name, value in vars(words).items() if name.isupper()}
    return {m.name: m.value for m in words}  # type: ignore[attr-defined]


EXPORTS = """async ([server, names]) => {
  const phone = await import(server + "/static/supportcall/phone.js");
  return Object.fromEntries(names.map((name) => [name, phone[name] ?? null]));
}"""


async def test_phone_js_exports_the_vocabulary_of_vocabulary_py(web, chromium):
    browser = await chromium()
    page = await browser.new_page()
    await page.goto(web.url + "/api/v1/health")
    names = [enum.__name__ for enum in ENUMS] + list(SETS)
    exported = await page.evaluate(EXPORTS, [web.url, names])
    for enum in ENUMS:
        assert exported[enum.__name__] == members(enum), enum.__name__
    for name in SETS:
        js = exported[name]
        assert js is not None and len(js) == len(set(js)), name
        assert set(js) == set(getattr(vocabulary, name)), name
