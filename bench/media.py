"""Scenario 4: a real aiortc call, from the visitor's click to the first audio frame
received on both sides, against two aiortc peers wired to each other directly.

aiortc gathers every candidate before setLocalDescription returns, so each
description carries its candidates (no trickle). No ICE server: host
candidates only, and the media stays on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from bench.wire import Peer, agent_address, login

MEDIA = "audio"  # audio sending, video inactive: the widget's voice call


def _peer() -> tuple[RTCPeerConnection, asyncio.Future[float]]:
    """A peer connection and the time its first inbound audio frame arrived."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    first = asyncio.get_running_loop().create_future()
    readers: list[asyncio.Task] = []  # held, or the loop may collect them mid-read

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            readers.append(asyncio.ensure_future(_first_frame(track, first)))

    return pc, first


async def _first_frame(track: MediaStreamTrack, first: asyncio.Future[float]) -> None:
    with contextlib.suppress(Exception):
        await track.recv()
        if not first.done():
            first.set_result(time.monotonic())


async def _offer(pc: RTCPeerConnection) -> str:
    pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    pc.addTransceiver("video", direction="inactive")
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def _answer(pc: RTCPeerConnection, offer: str) -> str:
    await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
    pc.addTrack(AudioStreamTrack())
    await pc.setLocalDescription(await pc.createAnswer())
    return pc.localDescription.sdp


async def direct(timeout: float = 30) -> float:
    """Seconds from creating two peers to both having received audio, wired directly."""
    started = time.monotonic()
    caller, caller_first = _peer()
    callee, callee_first = _peer()
    try:
        async with asyncio.timeout(timeout):
            answer = await _answer(callee, await _offer(caller))
            await caller.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            ends = await asyncio.gather(caller_first, callee_first)
        return max(ends) - started
    finally:
        await caller.close()
        await callee.close()


async def through_server(server: str, agent: Peer, agent_index: int, timeout: float = 30) -> float:
    """Seconds from the visitor's click (its login) to both sides having received audio,
    signalled through the product; the agent is already connected, as on the dashboard."""
    started = time.monotonic()
    visitor_pc, visitor_first = _peer()
    agent_pc, agent_first = _peer()
    visitor: Peer | None = None
    call_id = None
    try:
        async with asyncio.timeout(timeout):
            token = (await login(server))["token"]
            visitor = await Peer.open(server, token)
            offer = await _offer(visitor_pc)
            ack = await visitor.request(
                "call.create", to=agent_address(agent_index), media=MEDIA, sdp=offer
            )
            call_id = ack["call_id"]
            incoming = await agent.event("call.incoming", call_id=call_id)
            answer = await _answer(agent_pc, incoming["sdp"])
            await agent.request("call.accept", call_id=call_id, video=False, sdp=answer)
            answered = await visitor.event("call.answer", call_id=call_id)
            await visitor_pc.setRemoteDescription(RTCSessionDescription(answered["sdp"], "answer"))
            ends = await asyncio.gather(visitor_first, agent_first)
        return max(ends) - started
    finally:
        if visitor is not None:
            with contextlib.suppress(Exception):
                if call_id is not None:
                    await visitor.request("call.end", call_id=call_id, timeout=10)
                    await agent.event("call.state", call_id=call_id, state="ended", timeout=10)
            await visitor.close()
        await visitor_pc.close()
        await agent_pc.close()
