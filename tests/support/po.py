"""A small reader of gettext .po files (what makemessages writes): entries with their
msgid, plural, msgstr(s) and flags. Enough for the catalogue tests; not a full parser."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr) and "fuzzy" not in self.flags


def _unquote(line: str) -> str:
    # A .po string is a C string literal; Python's reads the escapes .po files use.
    return ast.literal_eval(line)


def read_po(path: Path) -> list[Entry]:
    """Every entry of the file, the header (msgid "") included."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#") and target is not None and target[0] == "msgstr":
            flush()  # a comment after a msgstr starts the next entry
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"{path}: a string continues nothing: {raw!r}"
            kind, index = target
            if kind == "msgid":
                entry.msgid += _unquote(line)
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + _unquote(line)
            else:
                entry.msgstr[index] += _unquote(line)
        elif keyword == "msgid":
            if target is not None and target[0] != "msgid":
                flush()
            entry.msgid, target = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = _unquote(rest), ("msgid_plural", 0)
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            entry.msgstr.append(_unquote(rest))
            target = ("msgstr", len(entry.msgstr) - 1)
        else:
            raise ValueError(f"{path}: cannot read {raw!r}")
    flush()
    return [e for e in entries if not e.obsolete]
