"""The Python client as a verified visitor: it asks for a fresh identity token before each
login, and the agent's incoming call carries what the site signed."""

from __future__ import annotations

import asyncio

from tests.support.identity import sign
from tests.support.servers import django_shell

ROTATE = (
    "from supportcall.directory.models import Site; "
    "print(Site.objects.get(key='demo').rotate_identity_secret())"
)


async def test_a_visitor_with_an_identity_token_maker_calls_verified(clients, server):
    secret = (await asyncio.to_thread(django_shell, server.env, ROTATE)).split()[-1]
    made: list[str] = []

    def identity_token() -> str:
        made.append(sign(secret, site="demo", name="Grace Hopper"))
        return made[-1]

    agent = await clients.agent()
    visitor = await clients.visitor(identity_token=identity_token, context={"order": "7"})
    assert len(made) == 1
    assert visitor.login["verified"] == {
        "sub": "customer-42",
        "name": "Grace Hopper",
        "email": "ada@example.com",
        "attributes": {"plan": "gold"},
    }
    await visitor.call()
    incoming = await agent.next_incoming(timeout=5)
    assert incoming.caller is not None
    assert incoming.caller["verified"]["name"] == "Grace Hopper"
    assert incoming.caller["context"] == {"order": "7"}
