"""Every login and every hello hands out a TURN credential of the party's own, and the
relay policy; an answered call whose media cannot connect ends media_failed for both."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from supportcall import turn
from supportcall.calls.admin import _said
from supportcall.calls.models import Call, CallEvent
from tests.support.calls import in_call, ring
from tests.support.ws import connect, login_agent, login_visitor, resume, sync

SECRET = "0d6f3a9c1b8e47255e0c1d2b9a8f7e6d"
URLS = ["stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"]


@pytest.fixture
def coturn(settings):
    settings.SUPPORTCALL_TURN_SECRET = SECRET
    settings.SUPPORTCALL_TURN_URLS = URLS
    settings.SUPPORTCALL_TURN_TTL = 600
    settings.SUPPORTCALL_ICE_TRANSPORT_POLICY = "relay"


def relay_entry(ice_servers: list[dict]) -> dict:
    [entry] = [s for s in ice_servers if any(turn.is_relay_url(u) for u in s["urls"])]
    return entry


def assert_valid_for(entry: dict, identity: str, ttl: int = 600) -> None:
    """What coturn checks: the name says who and until when, the password is its HMAC."""
    expires, _, who = entry["username"].partition(":")
    assert who == identity
    assert time.time() + ttl - 5 <= int(expires) <= time.time() + ttl + 1
    digest = hmac.new(SECRET.encode(), entry["username"].encode(), hashlib.sha1).digest()
    assert entry["credential"] == base64.b64encode(digest).decode()


async def test_a_visitor_login_and_its_hello_carry_its_own_credential_and_the_policy(
    directory, coturn
):
    login = await login_visitor()
    assert login["ice_servers"][0] == {"urls": ["stun:127.0.0.1:3478"]}
    assert_valid_for(relay_entry(login["ice_servers"]), login["identity"])
    assert login["ice_transport_policy"] == "relay"

    party = await connect(login["token"])
    assert_valid_for(relay_entry(party.hello["ice_servers"]), login["identity"])
    assert (party.hello["ice_transport_policy"], party.hello["media_timeout"]) == ("relay", 20.0)
    await party.close()


async def test_an_agent_login_carries_a_credential_naming_the_agent(directory, coturn):
    login = await login_agent("alice")
    assert_valid_for(relay_entry(login["ice_servers"]), login["identity"])
    assert login["identity"].startswith("alice@")


async def test_a_resume_hands_out_a_fresh_credential(directory, coturn, settings):
    party = await connect((await login_visitor())["token"])
    first = relay_entry(party.hello["ice_servers"])
    settings.SUPPORTCALL_TURN_TTL = 1200  # the same second would give the same credential
    again = await resume(party)
    fresh = relay_entry(again.hello["ice_servers"])
    assert turn.expiry(fresh["username"]) > turn.expiry(first["username"])
    assert_valid_for(fresh, party.identity, ttl=1200)
    await again.close()


@pytest.mark.parametrize("reporter", ["visitor", "agent"])
async def test_media_that_cannot_connect_ends_the_call_media_failed_for_both(parties, reporter):
    visitor, alice, call_id = await in_call(parties)
    local, remote = (visitor, alice) if reporter == "visitor" else (alice, visitor)
    await local.ok("call.end", call_id=call_id, reason="media_failed")
    ended = {"type": "call.state", "call_id": call_id, "state": "ended", "previous": "in_call"}
    assert await local.events(2) == [
        {**ended, "reason": "media_failed"},
        {"type": "op.result", "call_id": call_id, "op": "end", "ok": True},
    ]
    assert await remote.events(1) == [{**ended, "reason": "media_failed"}]
    # The other side saw it too and says so: the call is over, nothing more happens.
    await remote.fails("invalid_state", "call.end", call_id=call_id, reason="media_failed")
    row = await sync(Call.objects.get)(id=call_id)
    assert row.end_reason == "media_failed"
    event = await sync(lambda: CallEvent.objects.filter(call_id=call_id).last())()
    assert (event.name, event.detail.get("reason")) == ("end", "media_failed")
    assert "the media could not connect" in _said(event)  # the admin's call timeline


async def test_an_end_with_another_reason_is_a_bad_request_and_the_call_goes_on(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.fails("bad_request", "call.end", call_id=call_id, reason="ended_by_remote")
    await alice.silent()
    await visitor.ok("call.end", call_id=call_id)


async def test_media_cannot_fail_on_a_call_not_answered_yet(parties):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await visitor.fails("invalid_state", "call.end", call_id=call_id, reason="media_failed")
    await visitor.ok("call.end", call_id=call_id)
