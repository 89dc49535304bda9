"""Several daphne processes on PostgreSQL and Redis serve the same calls."""

import asyncio

from tests.support.sdps import ANSWER, OFFER
from tests.support.wire import Wire

SUPPORT = "support@support.example.com"


async def test_two_agents_on_two_processes_accepting_at_once_give_exactly_one_winner(cluster):
    a, b = cluster
    alice = await Wire.agent(a.url, "alice")
    bob = await Wire.agent(b.url, "bob")
    winners = []
    try:
        for _ in range(50):
            visitor = await Wire.visitor(a.url)
            ack = await visitor.request(
                "call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"]
            )
            call_id = ack["call_id"]
            await alice.event("call.incoming", call_id=call_id)
            await bob.event("call.incoming", call_id=call_id)
            replies = await asyncio.gather(
                *(
                    agent.request("call.accept", call_id=call_id, video=False, sdp=ANSWER["audio"])
                    for agent in (alice, bob)
                )
            )
            kinds = sorted(r["type"] for r in replies)
            assert kinds == ["ack", "error"], replies
            loser = (alice, bob)[[r["type"] for r in replies].index("error")]
            winner = bob if loser is alice else alice
            assert (await loser.event("call.state", call_id=call_id, state="ended"))["reason"] in (
                "answered_elsewhere",
            )
            await visitor.event("call.state", call_id=call_id, state="in_call")
            winners.append("alice" if winner is alice else "bob")
            await visitor.request("call.end", call_id=call_id)
            await winner.event("call.state", call_id=call_id, state="ended")
            await visitor.close()
    finally:
        await alice.close()
        await bob.close()
    assert len(winners) == 50


async def test_a_call_across_two_processes_carries_every_operation(cluster):
    a, b = cluster
    alice = await Wire.agent(b.url, "alice")
    visitor = await Wire.visitor(a.url)
    try:
        ack = await visitor.request("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
        call_id = ack["call_id"]
        await alice.event("call.incoming", call_id=call_id)
        assert (await alice.request("call.accept", call_id=call_id, sdp=ANSWER["audio"]))[
            "type"
        ] == "ack"
        await visitor.event("call.answer", call_id=call_id)
        await visitor.event("call.state", call_id=call_id, state="in_call")
        from tests.support.sdps import hold, unhold

        assert (await visitor.request("call.hold", call_id=call_id, sdp=hold("audio")))[
            "type"
        ] == "ack"
        offer = await alice.event("call.offer", call_id=call_id, op="hold")
        await alice.request("call.answer", call_id=call_id, sdp=offer["sdp"])
        await visitor.event("op.result", call_id=call_id, op="hold", ok=True)
        await alice.event("call.state", call_id=call_id, state="remotely_held")
        await visitor.request("call.unhold", call_id=call_id, sdp=unhold("audio"))
        await alice.event("call.offer", call_id=call_id, op="unhold")
        await alice.request("call.answer", call_id=call_id, sdp=ANSWER["audio"])
        await visitor.event("op.result", call_id=call_id, op="unhold", ok=True)
        await alice.request("call.mute", call_id=call_id)
        media = await visitor.event("call.media", call_id=call_id)
        assert media["muted"] is True
        # A re-offer nobody answers fails with timeout, acted on by a sweeper of either process.
        await alice.request("call.hold", call_id=call_id, sdp=hold("audio"))
        result = await alice.event("op.result", call_id=call_id, op="hold", timeout=15)
        assert (result["ok"], result["code"]) == (False, "timeout")
        await alice.request("call.end", call_id=call_id)
        ended = await visitor.event("call.state", call_id=call_id, state="ended")
        assert ended["reason"] == "ended_by_remote"
    finally:
        await alice.close()
        await visitor.close()


async def test_a_token_replayed_on_two_processes_at_once_opens_one_connection(cluster):
    import json

    import requests
    import websockets

    a, b = cluster
    outcomes = []
    for _ in range(10):
        login = await asyncio.to_thread(
            requests.post, a.url + "/api/v1/anonymous-login", json={"site": "demo"}, timeout=10
        )
        token = login.json()["token"]

        async def present(server, token=token):
            async with websockets.connect(server.url.replace("http", "ws") + "/ws/v1/calls") as ws:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                try:
                    return json.loads(await asyncio.wait_for(ws.recv(), 10))["type"]
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code

        outcomes.append(sorted(map(str, await asyncio.gather(present(a), present(b)))))
    assert outcomes == [["4401", "hello"]] * 10


async def test_a_ring_timeout_moves_a_queue_call_to_an_agent_on_the_other_process(cluster):
    """longest_idle across two processes: whichever sweeper sees the deadline moves the call."""
    from tests.support.servers import django_shell

    a, b = cluster
    queues = "from supportcall.directory.models import Queue, Agent;"
    await asyncio.to_thread(
        django_shell,
        a.env,
        queues
        + (
            "from django.utils import timezone; from datetime import timedelta;"
            "Queue.objects.filter(name='support').update(strategy='longest_idle', ring_timeout=1);"
            "Agent.objects.filter(user__username='alice')"
            ".update(idle_since=timezone.now() - timedelta(hours=1))"
        ),
    )
    alice = await Wire.agent(a.url, "alice")
    bob = await Wire.agent(b.url, "bob")
    visitor = await Wire.visitor(b.url)
    try:
        ack = await visitor.request("call.create", to=SUPPORT, media="audio", sdp=OFFER["audio"])
        call_id = ack["call_id"]
        await alice.event("call.incoming", call_id=call_id)  # idle longest
        ended = await alice.event("call.state", call_id=call_id, state="ended", timeout=10)
        assert ended["reason"] == "no_answer"
        await bob.event("call.incoming", call_id=call_id, timeout=10)
        accepted = await bob.request("call.accept", call_id=call_id, sdp=ANSWER["audio"])
        assert accepted["type"] == "ack"
        await visitor.event("call.state", call_id=call_id, state="in_call")
    finally:
        await asyncio.to_thread(
            django_shell,
            a.env,
            queues
            + ("Queue.objects.filter(name='support').update(strategy='ring_all', ring_timeout=20)"),
        )
        for wire in (alice, bob, visitor):
            await wire.close()
