from __future__ import annotations

import pytest

from tests.support.calls import answer, ring


@pytest.fixture
async def call(parties):
    """Ada (a visitor) and alice in an answered call: (visitor, alice, call_id)."""
    visitor = await parties("visitor", display_name="Ada")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    return visitor, alice, call_id
