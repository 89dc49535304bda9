"""The widget's words: one catalogue per language (static/supportcall/widget/lang/<code>.json),
each with exactly the keys of English and, in each text, exactly English's {placeholders}."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from supportcall.directory.models import WIDGET_LANGUAGES

LANG = Path(__file__).resolve().parent.parent / "static" / "supportcall" / "widget" / "lang"
WORDS_JS = LANG.parent / "words.js"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(code: str) -> dict[str, str]:
    return json.loads((LANG / f"{code}.json").read_text(encoding="utf-8"))


def problems(reference: dict[str, str], catalogue: dict[str, str]) -> list[str]:
    """What is wrong with `catalogue` next to `reference` (English), in words; [] when nothing."""
    found = [f"missing key {key!r}" for key in reference if key not in catalogue]
    found += [f"key {key!r} that English lacks" for key in catalogue if key not in reference]
    for key, text in catalogue.items():
        if not isinstance(text, str) or not text.strip():
            found.append(f"key {key!r} has no words")
            continue
        if key in reference:
            theirs, ours = set(PLACEHOLDER.findall(text)), set(PLACEHOLDER.findall(reference[key]))
            extra = sorted(theirs - ours)
            found += [f"key {key!r} has {{{p}}}, which English does not" for p in extra]
            found += [f"key {key!r} lacks English's {{{p}}}" for p in sorted(ours - theirs)]
    return found


SHIPPED = sorted(path.stem for path in LANG.glob("*.json"))


def test_the_shipped_catalogues_are_the_languages_the_site_admin_offers_and_words_js_loads():
    codes = [code for code, _ in WIDGET_LANGUAGES]
    assert sorted(codes) == SHIPPED == ["ar", "de", "en", "es", "fr"]
    listed = re.search(r"LANGUAGES = Object\.freeze\(\[([^\]]*)\]\)", WORDS_JS.read_text())
    assert listed is not None
    assert re.findall(r'"(\w+)"', listed.group(1)) == codes


@pytest.mark.parametrize("code", [c for c in SHIPPED if c != "en"])
def test_each_catalogue_has_exactly_the_keys_and_placeholders_of_english(code):
    assert problems(load("en"), load(code)) == []


def test_english_has_words_for_every_key():
    assert problems(load("en"), load("en")) == []


def test_a_catalogue_that_misses_a_key_or_adds_one_or_a_placeholder_is_caught():
    english = load("en")
    broken = dict(load("de"))
    del broken["status.in_call"]
    broken["status.extra"] = "Extra"
    broken["queue.next"] = "Sie sind Nummer {position}"
    broken["queue.number"] = "Sie sind dran"
    assert problems(english, broken) == [
        "missing key 'status.in_call'",
        "key 'status.extra' that English lacks",
        "key 'queue.next' has {position}, which English does not",
        "key 'queue.number' lacks English's {position}",
    ]


def test_every_key_the_widget_code_asks_for_is_in_english():
    english = load("en")
    code = "\n".join(p.read_text() for p in LANG.parent.glob("*.js"))
    asked = set(re.findall(r'\bw?t\("([\w.]+)"', code)) | set(re.findall(r'\bw\("([\w.]+)"', code))
    assert asked, "no t(...) call found"
    assert sorted(asked - set(english)) == []
