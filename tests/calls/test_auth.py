"""The WebSocket's first frame: `auth` with a single-use token, or close 4401/4403."""

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.utils import timezone

from supportcall.directory.models import Site
from supportcall.tokens.issuing import SALT, InvalidToken, consume
from supportcall.tokens.models import IssuedToken
from tests.support.ws import SHOP, addr, connect, login_agent, login_visitor, open_ws, sync

pytestmark = pytest.mark.usefixtures("directory")


async def closed_with(ws, frame=None) -> int:
    if frame is not None:
        await ws.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))
    output = await ws.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def test_a_visitor_token_opens_a_visitor_session():
    login = await login_visitor()
    party = await connect(login["token"])
    resume_token = party.hello.pop("resume_token")
    assert party.hello == {
        "type": "hello",
        "protocol": 1,
        "role": "visitor",
        "identity": login["identity"],
        "resume_grace": 20.0,
        "ping_interval": 25.0,
        "quality_interval": 5.0,
        "file_max_bytes": 10 * 1024 * 1024,
        "ice_servers": [],
        "ice_transport_policy": "all",
        "media_timeout": 20.0,
    }
    assert isinstance(resume_token, str) and resume_token != login["token"]
    await party.close()


async def test_an_agent_token_opens_an_agent_session_with_its_presence():
    login = await login_agent("alice")
    party = await connect(login["token"], origin=None)
    assert party.hello["role"] == "agent"
    assert party.hello["identity"] == addr("alice")
    assert party.hello["presence"] == "available"
    await party.close()


async def test_a_first_frame_other_than_auth_closes_4401():
    ws = await open_ws()
    assert await closed_with(ws, {"type": "call.create", "to": addr("support")}) == 4401


async def test_a_first_frame_that_is_not_json_closes_4401():
    ws = await open_ws()
    assert await closed_with(ws, "{nope") == 4401


async def test_auth_without_a_token_closes_4401():
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth"}) == 4401


async def test_silence_after_connecting_closes_4401(settings):
    settings.SUPPORTCALL_AUTH_TIMEOUT = 0.1
    ws = await open_ws()
    assert await closed_with(ws) == 4401


async def test_a_forged_token_closes_4401():
    forged = signing.dumps(
        {
            "jti": "0" * 32,
            "role": "agent",
            "sub": addr("alice"),
            "site": None,
            "user": 1,
            "targets": [],
            "exp": 2**40,
        },
        key="not-the-server-key",
        salt=SALT,
    )
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": forged}) == 4401


async def test_a_visitor_token_re_signed_as_an_agent_with_the_servers_key_closes_4401():
    # What someone holding the signing key would try: the row still says visitor.
    login = await login_visitor()
    alice = await sync(lambda: User.objects.get(username="alice").pk)()
    claims = signing.loads(login["token"], salt=SALT)
    claims.update(role="agent", sub=addr("alice"), site=None, user=alice, targets=[])
    forged = signing.dumps(claims, salt=SALT, compress=True)
    ws = await open_ws(origin=None)
    assert await closed_with(ws, {"type": "auth", "token": forged}) == 4401


async def test_a_tampered_token_closes_4401():
    login = await login_visitor()
    ws = await open_ws()
    tampered = login["token"][:-3] + ("AAA" if not login["token"].endswith("AAA") else "BBB")
    assert await closed_with(ws, {"type": "auth", "token": tampered}) == 4401


async def test_a_replayed_token_closes_4401():
    login = await login_visitor()
    first = await connect(login["token"])
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4401
    await first.close()


async def test_an_expired_token_closes_4401():
    login = await login_visitor()
    await sync(lambda: IssuedToken.objects.update(expires=timezone.now() - timedelta(seconds=1)))()
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4401


async def test_a_token_past_its_signed_expiry_closes_4401(settings):
    settings.SUPPORTCALL_TOKEN_TTL = 1
    login = await login_visitor()
    await asyncio.sleep(1.1)
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4401


async def test_a_revoked_token_closes_4401():
    login = await login_visitor()
    await sync(lambda: IssuedToken.objects.update(revoked=True))()
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4401


async def test_a_visitor_websocket_from_an_origin_the_site_does_not_allow_closes_4403():
    login = await login_visitor()
    ws = await open_ws(origin="http://evil.test")
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4403


async def test_a_visitor_websocket_of_a_site_disabled_since_the_login_closes_4403():
    login = await login_visitor()
    await sync(lambda: Site.objects.filter(key="shop").update(enabled=False))()
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4403


async def test_a_visitor_websocket_without_origin_is_allowed():
    """Programmatic clients (the Python client) send no Origin; browsers always do."""
    login = await login_visitor(origin=None)
    party = await connect(login["token"], origin=None)
    assert party.hello["role"] == "visitor"
    await party.close()


async def test_an_agent_token_for_a_user_no_longer_an_agent_closes_4401():
    login = await login_agent("alice")
    from supportcall.directory.models import Agent

    await sync(lambda: Agent.objects.filter(user__username="alice").delete())()
    ws = await open_ws(origin=None)
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4401


def test_a_token_is_consumed_exactly_once(transactional_db):
    from supportcall.tokens.issuing import issue
    from supportcall.vocabulary import Role

    token, row = issue(Role.VISITOR, addr("anonymous-x"))
    assert consume(token).identity == addr("anonymous-x")
    with pytest.raises(InvalidToken):
        consume(token)
    row.refresh_from_db()
    assert row.consumed is not None


async def test_origin_is_normalized_when_compared():
    login = await login_visitor(origin=SHOP.upper().replace("HTTP", "http"))
    party = await connect(login["token"], origin="http://SHOP.test")
    assert party.hello["role"] == "visitor"
    await party.close()


async def agent_ws(origin: str | None, host: str = "support.example.com"):
    from channels.testing import WebsocketCommunicator

    from supportcall.asgi import application

    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
    ws = WebsocketCommunicator(application, "/ws/v1/calls", headers=headers)
    assert (await ws.connect())[0]
    return ws


@pytest.mark.parametrize(
    "origin",
    ["http://evil.test", "https://support.example.com.evil.test", "null", SHOP],
)
async def test_an_agent_websocket_from_another_sites_page_closes_4403_and_keeps_its_token(origin):
    login = await login_agent("alice")
    ws = await agent_ws(origin)
    assert await closed_with(ws, {"type": "auth", "token": login["token"]}) == 4403
    # Refused before it was used: the agent's own dashboard can still use it.
    party = await connect(login["token"], origin=None)
    assert party.hello["role"] == "agent"
    await party.close()


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://support.example.com", "support.example.com"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://Support.Example.com", "support.example.com"),
        ("http://localhost:8000", "elsewhere.test"),  # in CSRF_TRUSTED_ORIGINS
    ],
)
async def test_an_agent_websocket_from_the_servers_own_pages_is_allowed(origin, host):
    login = await login_agent("alice")
    ws = await agent_ws(origin, host)
    await ws.send_to(text_data=json.dumps({"type": "auth", "token": login["token"]}))
    hello = json.loads(await ws.receive_from(timeout=3))
    assert (hello["type"], hello["role"]) == ("hello", "agent")
    await ws.disconnect(code=1006)


@pytest.mark.parametrize("key", ["token", "resume_token"])
@pytest.mark.parametrize(
    "token", ["\ud800", "a\x00b", "x" * 60_000, "é" * 100 + ":" * 50, 10**400, {"a": [1]}, None]
)
async def test_a_hostile_token_closes_4401_not_1011(key, token, caplog):
    ws = await open_ws()
    assert await closed_with(ws, {"type": "auth", key: token}) == 4401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
