"""Calling a colleague from the dashboard, with no call on the desk: the other agents are
listed with who is free (as of the list's last focus), and the call is one between agents,
with audio."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.async_api import expect

from tests.support.browser import (
    BOB,
    WAIT_MS,
    call_states,
    end_reason,
    in_progress,
    page_media,
)

pytestmark = pytest.mark.browser


async def test_an_idle_agent_calls_a_free_colleague_and_they_talk_until_she_hangs_up(
    dashboards,
):
    alice = await dashboards("alice")
    bob = await dashboards("bob")
    box = alice.get_by_test_id("colleague-call")
    colleagues = box.get_by_test_id("colleague-to")
    # Loaded before Bob came online; not live (docs): the agent's focus reloads it.
    await colleagues.focus()
    await expect(colleagues.locator(f'option[value="{BOB}"]')).to_contain_text(
        "(free)", timeout=WAIT_MS
    )
    # Agents only: nobody calls a queue.
    assert all(
        "@support.example.com" in o for o in await colleagues.locator("option").all_inner_texts()
    )
    assert await colleagues.locator('option[value="support@support.example.com"]').count() == 0
    await colleagues.select_option(BOB)
    await box.get_by_test_id("call-colleague").click()

    placed = alice.get_by_test_id("call")
    await expect(placed).to_contain_text("Bob Agent", timeout=WAIT_MS)
    call = SimpleNamespace(call_id=await placed.get_attribute("data-call-id"))
    await expect(placed.get_by_test_id("hangup")).to_be_focused()
    await expect(box).to_be_hidden()  # a call is on the desk now
    at_bob = bob.get_by_test_id("incoming")
    await expect(at_bob.get_by_test_id("caller")).to_have_text("Alice Agent", timeout=WAIT_MS)
    assert await at_bob.get_attribute("data-call-id") == call.call_id
    await at_bob.get_by_test_id("accept-audio").click()

    await expect(in_progress(alice, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await expect(in_progress(bob, call, "in_call")).to_be_visible(timeout=WAIT_MS)
    await page_media(alice, call)  # getStats bytesReceived growing at both agents'
    await page_media(bob, call)
    # A call between agents is theirs: nothing to transfer or consult about.
    assert await placed.get_by_test_id("transfer-to").count() == 0
    await placed.get_by_test_id("hangup").click()

    await expect(in_progress(bob, call)).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
    assert await call_states(alice, call) == ["initiated", "ringing", "in_call", "ended"]
    # A call that rings here starts ringing, and the server's first call.state says so again.
    assert await call_states(bob, call) == ["ringing", "ringing", "in_call", "ended"]
    assert await end_reason(alice, call) == "ended_by_local"
    assert await end_reason(bob, call) == "ended_by_remote"
    # Once the ended call leaves the desk, a colleague can be called again.
    await expect(box).to_be_visible(timeout=WAIT_MS)
