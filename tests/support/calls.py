"""Getting calls into a given state, through the real WebSocket."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from supportcall.calls import sweeper
from supportcall.calls.delivery import deliver
from tests.support.sdps import ANSWER, OFFER
from tests.support.ws import Socket, addr, sync


async def ring(visitor: Socket, *agents: Socket, media: str = "audio", to: str = "support") -> str:
    """The visitor calls; each agent receives call.incoming then call.state ringing."""
    ack = await visitor.ok("call.create", to=addr(to), media=media, sdp=OFFER[media])
    call_id = ack["call_id"]
    assert await visitor.events(2) == [
        {"type": "call.state", "call_id": call_id, "state": "initiated", "previous": None},
        {"type": "call.state", "call_id": call_id, "state": "ringing", "previous": "initiated"},
    ]
    for agent in agents:
        incoming = await agent.event("call.incoming", call_id=call_id, media=media)
        assert incoming["sdp"] == OFFER[media]
        await agent.event("call.state", call_id=call_id, state="ringing", previous=None)
    return call_id


async def answer(
    visitor: Socket, agent: Socket, call_id: str, media: str = "audio", video: bool = False
) -> None:
    await agent.ok("call.accept", call_id=call_id, video=video, sdp=ANSWER[media])
    assert await agent.events(2) == [
        {"type": "call.state", "call_id": call_id, "state": "in_call", "previous": "ringing"},
        {"type": "op.result", "call_id": call_id, "op": "accept", "ok": True},
    ]
    assert await visitor.events(2) == [
        {"type": "call.answer", "call_id": call_id, "sdp": ANSWER[media]},
        {"type": "call.state", "call_id": call_id, "state": "in_call", "previous": "ringing"},
    ]


async def in_call(
    parties, media: str = "audio", agent: str = "alice"
) -> tuple[Socket, Socket, str]:
    """A visitor and an agent in an answered call."""
    who = await parties(agent)
    visitor = await parties("visitor")
    call_id = await ring(visitor, who, media=media, to=agent if agent != "alice" else "support")
    await answer(visitor, who, call_id, media)
    return visitor, who, call_id


async def reoffer(
    initiator: Socket, other: Socket, call_id: str, op: str, sdp: str, answer_sdp: str
) -> list[dict]:
    """Run a re-offer operation to success; returns the initiator's events after the ack."""
    await initiator.ok(f"call.{op}", call_id=call_id, sdp=sdp)
    await other.event("call.offer", call_id=call_id, op=op, sdp=sdp)
    await other.ok("call.answer", call_id=call_id, sdp=answer_sdp)
    events = []
    while not events or events[-1]["type"] != "op.result":
        events.append(await initiator.receive())
    assert events[0] == {"type": "call.answer", "call_id": call_id, "sdp": answer_sdp}
    assert events[-1] == {"type": "op.result", "call_id": call_id, "op": op, "ok": True}
    return events


async def sweep(in_seconds: float) -> None:
    """Run the sweeper as if ``in_seconds`` had passed, and deliver what it sends."""
    outcome = await sync(sweeper.sweep)(timezone.now() + timedelta(seconds=in_seconds))
    await deliver(outcome.outbox)
