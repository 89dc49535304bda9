"""Calls between two hosts that can only meet through a real coturn.

The visitor and the agent are the Python client in two network namespaces
(tests/support/netns.py) with no route to each other; daphne and coturn
listen on the one address both reach. A call connects through the relay, and
only through it; with a credential coturn refuses, it fails and both parties
are told ``media_failed`` instead of sitting in silence.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

from supportcall import turn
from tests.support.netns import MEDIA_TIMEOUT, SECRET, WAIT, CoturnProcess, Island, place_call


def test_the_namespaces_reach_the_server_but_not_each_other(island, server):
    port = server.port
    assert island.reaches(island.visitor, island.server, port)
    assert island.reaches(island.agent, island.server, port)
    # Something listening or not, the other party's address has no route at all.
    assert not island.reaches(island.visitor, island.agent.address, port)
    assert not island.reaches(island.agent, island.visitor.address, port)


@pytest.mark.parametrize("policy", ["relay", "all"])
async def test_a_call_between_hosts_that_cannot_meet_connects_through_the_relay_both_ways(
    netns_parties, island, policy
):
    # "relay": as the server's hello says; "all" (the clients' own choice): host
    # candidates are offered too, and lead nowhere.
    visitor, agent = await place_call(
        netns_parties, island, *(["--policy", "all"] if policy == "all" else [])
    )
    seen = {"visitor": await visitor.event(), "agent": await agent.event()}

    for role, event in seen.items():
        assert event["event"] == "media", f"{role}: {event}\n{visitor.log}\n{agent.log}"
        assert event["pair"] == ["relay", "relay"], role
        assert event["audio_bytes"] > 0, role
        # The relay policy keeps host candidates (the parties' addresses) out of the SDP.
        assert event["offered"] == (["relay"] if policy == "relay" else ["host", "relay"]), role
    visitor.tell("end")
    assert await visitor.event() == {"event": "ended", "reason": "ended_by_local",
                                     "error": None, "message": ""}  # fmt: skip
    assert await agent.event() == {"event": "ended", "reason": "ended_by_remote",
                                   "error": None, "message": ""}  # fmt: skip


def refused_credentials(island: Island, relay: CoturnProcess, kind: str) -> str:
    """iceServers coturn refuses: signed with another secret, or expired a minute ago."""
    secret = secrets.token_hex(32) if kind == "wrong" else SECRET
    now = time.time() if kind == "wrong" else time.time() - 3600
    servers = turn.ice_servers(
        identity="someone@support.example.com", now=now, secret=secret, urls=relay.urls,
        ttl=60 if kind == "wrong" else 3540,
    )  # fmt: skip
    return json.dumps(servers)


@pytest.mark.parametrize("kind", ["wrong", "expired"])
async def test_a_refused_credential_fails_the_call_and_both_parties_are_told(
    netns_parties, island, relay, kind
):
    servers = refused_credentials(island, relay, kind)
    visitor, agent = await place_call(netns_parties, island, "--ice-servers", servers)
    started = time.monotonic()

    for party in (visitor, agent):
        event = await party.event(timeout=MEDIA_TIMEOUT + WAIT)
        assert (event["event"], event["reason"], event["error"]) == (
            "ended", "media_failed", "MediaFailed",
        ), f"{party.role}: {event}\n{party.log}"  # fmt: skip
        assert "network blocks the call" in event["message"]
    # Told within the media timeout (and some slack for two slow cores), not left hanging.
    assert time.monotonic() - started < MEDIA_TIMEOUT + 20
