"""Counting the SQL a piece of the server runs, in whatever thread it runs (the consumers'
database work happens in the thread-sensitive executor, not the test's thread)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.backends import utils


@contextmanager
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements run inside the block, from any thread."""
    seen: list[str] = []
    run = utils.CursorWrapper._execute_with_wrappers

    def counted(self, sql, params, many, executor):
        seen.append(sql)
        return run(self, sql, params, many, executor)

    with monkeypatch.context() as patch:
        patch.setattr(utils.CursorWrapper, "_execute_with_wrappers", counted)
        yield seen
