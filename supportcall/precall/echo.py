"""The check before the call: an aiortc peer in the server process that echoes a
client's media back to it (``check.start``, ``check.candidate``, ``check.end``).

The client offers, this peer answers with the ICE servers (and a TURN credential of
the client's identity) its login handed out, and every frame it receives it sends
back, so the client can measure the round trip, the loss and the candidate pair a
real call would get. The peer is not call state: it belongs to one WebSocket, lives
at most SUPPORTCALL_CHECK_SECONDS and dies with the connection (a process that goes
away takes the check with it, and the client simply checks again). That is why it is
held by the consumer, not the database. What a process can afford is bounded here:
SUPPORTCALL_CHECK_CONCURRENT checks at once (echoing video decodes and encodes it:
CPU, see docs/deployment.md), and SUPPORTCALL_CHECK_RATE per identity a minute,
counted in the shared cache so that reconnecting elsewhere does not reset it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from django.conf import settings
from django.core.cache import cache

from supportcall.calls.machine import CallError
from supportcall.calls.sdp import check_offer
from supportcall.client.media import create_peer_connection
from supportcall.client.session import parse_candidate
from supportcall.tokens.ice import ice_config
from supportcall.vocabulary import ErrorCode, Media

from .limits import limits

log = logging.getLogger(__name__)


class Capacity:
    """The checks this process runs now: a count, not a registry of them."""

    running = 0


class EchoPeer:
    """An answering peer connection that sends back every track it receives."""

    def __init__(self, ice: dict[str, Any]) -> None:
        self.pc: RTCPeerConnection = create_peer_connection(
            ice["ice_servers"], ice["ice_transport_policy"]
        )
        self.pc.on("track", self._echo)

    def _echo(self, track: MediaStreamTrack) -> None:
        # The transceiver setRemoteDescription made for the track takes it as its sender's.
        self.pc.addTrack(track)

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def add_candidate(self, candidate: dict[str, Any] | None) -> None:
        parsed = parse_candidate(candidate)
        if parsed is not None:  # aiortc needs no end-of-candidates
            await self.pc.addIceCandidate(parsed)

    async def close(self) -> None:
        await self.pc.close()


class Check:
    """One connection's check, at most one at a time; ``tell`` sends it an event."""

    def __init__(self, tell: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.tell = tell
        self.peer: EchoPeer | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.ending: asyncio.Future[None] | None = None

    async def start(self, identity: str, *, sdp: str, media: str) -> dict[str, Any]:
        """Answer the client's offer; the ack carries the answer, how long the check may
        last, and the thresholds over which it is ``poor``."""
        if self.peer is not None:
            raise CallError(ErrorCode.OPERATION_IN_PROGRESS, "a check is running already")
        check_offer(sdp, Media(media))
        if Capacity.running >= settings.SUPPORTCALL_CHECK_CONCURRENT:
            raise CallError(
                ErrorCode.RATE_LIMITED, "the server is busy with other checks; try again soon"
            )
        await _count(identity)
        self.peer = EchoPeer(ice_config(identity))
        Capacity.running += 1  # counted once there is a peer that end() closes
        try:
            answer = await self.peer.answer(sdp)
        except Exception as e:
            await self.end(None)
            raise CallError(ErrorCode.BAD_REQUEST, f"the offer cannot be answered: {e}") from e
        seconds = settings.SUPPORTCALL_CHECK_SECONDS
        self.timer = asyncio.get_running_loop().call_later(seconds, self._time_up)
        bounds = limits()
        return {
            "sdp": answer,
            "seconds": seconds,
            "limits": {"rtt_ms": bounds.rtt_ms, "loss_pct": bounds.loss_pct},
        }

    def _time_up(self) -> None:
        self.ending = asyncio.ensure_future(self.end("timeout"))  # kept: tasks are weakly held

    async def candidate(self, candidate: dict[str, Any] | None) -> None:
        if self.peer is None:
            raise CallError(ErrorCode.INVALID_STATE, "no check is running: send check.start")
        await self.peer.add_candidate(candidate)

    async def stop(self) -> None:
        """``check.end``: the client has measured enough."""
        if self.peer is None:
            raise CallError(ErrorCode.INVALID_STATE, "no check is running")
        await self.end(None)

    async def end(self, reason: str | None) -> None:
        """Close the peer; ``reason`` (``timeout``) is told in ``check.ended``. Safe twice."""
        peer, self.peer = self.peer, None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if peer is None:
            return
        Capacity.running -= 1
        try:
            await peer.close()
        except Exception:
            log.exception("closing a check's peer failed")
        if reason is not None:
            with contextlib.suppress(Exception):
                await self.tell({"type": "check.ended", "reason": reason})


async def _count(identity: str) -> None:
    """A fixed one-minute window per identity, in the shared cache (as logins are)."""
    key = f"check:{identity}"
    await cache.aadd(key, 0, timeout=60)
    try:
        count = await cache.aincr(key)
    except ValueError:  # the window expired between add and incr
        count = 1
    if count > settings.SUPPORTCALL_CHECK_RATE:
        raise CallError(
            ErrorCode.RATE_LIMITED,
            f"at most {settings.SUPPORTCALL_CHECK_RATE} checks a minute; try again in a minute",
        )
