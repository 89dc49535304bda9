"""The dashboard's, the sign-in pages' and the admin's words (Django's gettext catalogues,
supportcall/locale/<code>/LC_MESSAGES/): every message the templates, the Python code and
the dashboard's JavaScript mark for translation has a translation in each shipped
language, none empty or fuzzy, and the committed .mo files say what the .po files say.

What is marked is found the way a maintainer finds it: `makemessages` (GNU xgettext)
over a copy of the sources, so nothing is written into the checkout.
"""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.support.po import Entry, read_po
from tests.support.servers import need

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "supportcall" / "locale"
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]
# What makemessages reads: the Python and templates (django), the dashboard's scripts (djangojs).
SOURCES = ["supportcall", "templates", "static/supportcall/dashboard"]

Key = tuple[str, str | None]


def key(entry: Entry) -> Key:
    return (entry.msgid, entry.msgid_plural)


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> dict[str, set[Key]]:
    """domain -> every (msgid, msgid_plural) the sources mark, as makemessages extracts them."""
    need("GNU gettext (xgettext)", shutil.which("xgettext") is not None, "apt-get install gettext")
    copy = tmp_path_factory.mktemp("sources")
    for source in SOURCES:
        shutil.copytree(
            ROOT / source, copy / source, ignore=shutil.ignore_patterns("locale", "__pycache__")
        )
    (copy / "locale").mkdir()
    found: dict[str, set[Key]] = {}
    with pytest.MonkeyPatch.context() as mp, override_settings(LOCALE_PATHS=[copy / "locale"]):
        mp.chdir(copy)
        for domain in DOMAINS:
            call_command(
                "makemessages", locale=["de"], domain=domain, no_location=True, verbosity=0
            )
            entries = read_po(copy / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po")
            found[domain] = {key(e) for e in entries if e.msgid}
    return found


def _order(k: Key) -> tuple[str, str]:
    return (k[0], k[1] or "")


def catalogue_problems(wanted: set[Key], entries: list[Entry]) -> list[str]:
    """What a catalogue lacks next to the marked messages, in words; [] when nothing."""
    have = {key(e): e for e in entries if e.msgid}
    found = [f"missing {msgid!r}" for msgid, _ in sorted(wanted - have.keys(), key=_order)]
    for k in sorted(wanted & have.keys(), key=_order):
        entry = have[k]
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy {entry.msgid!r}")
        elif not entry.translated:
            found.append(f"untranslated {entry.msgid!r}")
    return found


def test_the_languages_are_the_widgets_five_and_each_has_both_catalogues():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "de", "fr", "es", "ar"]
    for code in TRANSLATED:
        for domain in DOMAINS:
            assert (LOCALE / code / "LC_MESSAGES" / f"{domain}.po").is_file()
            assert (LOCALE / code / "LC_MESSAGES" / f"{domain}.mo").is_file()


def test_the_sources_mark_the_dashboard_the_sign_in_page_and_the_admin_words(marked):
    # A few known ones from each kind of source, so an extraction that finds nothing fails.
    assert ("Sign in to take calls", None) in marked["django"]  # a template
    assert ("Revoke the selected tokens", None) in marked["django"]  # the admin
    assert ("Hang up", None) in marked["djangojs"]  # the dashboard's JavaScript
    assert any(plural for _, plural in marked["djangojs"])  # an ngettext


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalogue_translates_every_marked_message(marked, code, domain):
    entries = read_po(LOCALE / code / "LC_MESSAGES" / f"{domain}.po")
    assert catalogue_problems(marked[domain], entries) == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("code", TRANSLATED)
def test_each_compiled_catalogue_says_what_its_po_file_says(code, domain):
    folder = LOCALE / code / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in read_po(folder / f"{domain}.po"):
        if not entry.msgid or not entry.translated:
            continue
        if entry.msgid_plural is None:
            expected[entry.msgid] = entry.msgstr[0]
        else:
            expected.update({(entry.msgid, n): form for n, form in enumerate(entry.msgstr)})
    compiled = {k: v for k, v in compiled.items() if k != ""}  # the header
    assert compiled == expected, "run `make messages` (compilemessages) and commit the .mo files"


def test_a_catalogue_that_misses_a_message_or_has_an_empty_or_fuzzy_one_is_caught(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Hold"\nmsgstr "Halten"\n\n'
        'msgid "Resume"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Mute"\nmsgstr "Stumm"\n\n'
        'msgid "%(n)s waiting"\nmsgid_plural "%(n)s waiting"\nmsgstr[0] "%(n)s wartet"\n'
        'msgstr[1] ""\n',
        encoding="utf-8",
    )
    wanted: set[Key] = {
        ("Hold", None),
        ("Resume", None),
        ("Mute", None),
        ("%(n)s waiting", "%(n)s waiting"),
        ("Hang up", None),
    }
    assert catalogue_problems(wanted, read_po(po)) == [
        "missing 'Hang up'",
        "untranslated '%(n)s waiting'",
        "fuzzy 'Mute'",
        "untranslated 'Resume'",
    ]
