"""Shared fixtures: the demo directory and WebSocket parties driving the whole ASGI app."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from supportcall.directory.setup import ensure_agent, ensure_site
from tests.support.ws import DOMAIN, PASSWORD, SHOP, Socket, connect, login_agent, login_visitor


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.SUPPORTCALL_SWEEP_INTERVAL = 0  # tests call the sweeper themselves
    settings.SUPPORTCALL_WEBHOOK_INTERVAL = 0  # and the webhook worker (tests/webhooks)
    settings.SUPPORTCALL_DOMAIN = DOMAIN
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "supportcall.layers.SweptInMemoryChannelLayer"}
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # the login rate limit counts per address
    yield
    cache.clear()


@pytest.fixture
def directory(transactional_db):
    """Site 'shop' (origin http://shop.test) calling queue 'support' with alice and bob;
    carol is in queue 'billing', which the site cannot call."""
    ensure_site("shop", [SHOP], ["support"])
    ensure_site("other", ["http://other.test"], ["billing"])
    ensure_agent("alice", PASSWORD, ["support"])
    ensure_agent("bob", PASSWORD, ["support"])
    ensure_agent("carol", PASSWORD, ["billing"])


@pytest.fixture
async def parties(directory):
    """A factory of connected parties; every one is disconnected at the end."""
    opened: list[Socket] = []

    async def make(who: str = "visitor", **kw: Any) -> Socket:
        login = await (login_visitor(**kw) if who == "visitor" else login_agent(who))
        party = await connect(login["token"], kw.get("origin", SHOP) if who == "visitor" else None)
        opened.append(party)
        return party

    yield make
    for party in opened:
        await party.close()
