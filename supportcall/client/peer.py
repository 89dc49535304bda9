"""One party's media in a call: an aiortc peer connection and its offer/answer.

What aiortc 1.16 does, found by experiment (``tests/client/test_client_loopback.py``):

* A negotiated direction is applied by ``RTCRtpTransceiver._setCurrentDirection``:
  without ``send`` the ``RTCRtpSender`` keeps reading its track but drops every
  frame before encoding (no RTP leaves), without ``recv`` the receiver drops
  incoming packets. Both resume when a later negotiation restores the
  direction, so hold (every m-line ``inactive``) and unhold work through real
  renegotiation, on both sides.
* A sender whose m-line was ``inactive`` from the start is only started by the
  first negotiation that gives it ``send``; given a track with ``replaceTrack``
  first, ``video_start`` on an ``audio`` call starts real video RTP, and
  ``video_stop`` / ``video_start`` stop and restart it.
* aiortc cannot roll back a local offer (``"rollback"`` is accepted as a type
  but does not restore the signaling state). So a re-offer is only *created*
  (``createOffer`` already carries ICE and DTLS parameters once gathering has
  completed) and sent; ``setLocalDescription`` runs when the answer arrives.
  A re-offer that fails (``timeout``) is simply dropped and the connection
  never left ``stable``.
* Mute has no renegotiation: the tone track's ``recv()`` blocks while muted,
  so no audio RTP is sent at all (the sound really stops, and the remote's
  inbound audio bytes stop with it).

The rules for directions live in :class:`MediaPlan`, pure code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription, sdp

from ..vocabulary import REOFFER_OPS, VIDEO_OPS, Media, Op
from .errors import MediaFailed
from .media import (
    FrameCounter,
    RtpByteCounter,
    SyntheticVideoTrack,
    ToneAudioTrack,
    create_peer_connection,
    inbound_packets,
    selected_candidate_pair,
)
from .renumber import keep_negotiated

logger = logging.getLogger(__name__)

# aiortc cannot restart ICE: its restart_media re-offer renegotiates the same
# transport (browsers send createOffer({iceRestart: true})).


def direction(send: bool, recv: bool) -> str:
    return ("inactive", "sendonly", "recvonly", "sendrecv")[int(send) + 2 * int(recv)]


def sends(direction_: str | None) -> bool:
    return direction_ in ("sendrecv", "sendonly")


def receives(direction_: str | None) -> bool:
    return direction_ in ("sendrecv", "recvonly")


def m_lines(sdp_text: str) -> list[tuple[str, str]]:
    """``[(kind, direction), ...]`` of an SDP, in m-line order."""
    description = sdp.SessionDescription.parse(sdp_text)
    return [(m.kind, m.direction or "sendrecv") for m in description.media]


def check_media(media: str) -> Media:
    """``media`` as a :class:`Media`; ``ValueError`` if it is not one."""
    try:
        return Media(media)
    except ValueError:
        kinds = ", ".join(m.value for m in Media)
        raise ValueError(f"media must be one of {kinds}, not {media!r}") from None


@dataclasses.dataclass(frozen=True)
class MediaPlan:
    """What this party wants on each m-line, from its own point of view.

    ``video_send`` and ``video_recv`` describe the call when nobody holds it;
    holding never forgets them, which is how unhold offers "the directions
    the call had before". The remote's hold needs no state here: its
    re-offers say ``inactive`` and an answer can only narrow an offer.
    """

    media: str
    local_hold: bool = False
    video_send: bool = False
    video_recv: bool = False
    # The visitor's screen, on a video m-line after the call's own (once one was added).
    screen_send: bool = False

    def after(self, op: str) -> MediaPlan:
        """The plan once this party's operation ``op`` has succeeded."""
        changes = {
            Op.HOLD: {"local_hold": True},
            Op.UNHOLD: {"local_hold": False},
            Op.VIDEO_START: {"video_send": True},
            Op.VIDEO_STOP: {"video_send": False},
            Op.RESTART_MEDIA: {},
            Op.SCREEN_START: {"screen_send": True},
            Op.SCREEN_STOP: {"screen_send": False},
        }[Op(op)]
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def kinds(self) -> list[str]:
        return ["audio"] if self.media == Media.AUDIO_SINGLE else ["audio", "video"]

    def offer_directions(self) -> dict[str, str]:
        """The directions this party puts in an offer."""
        if self.local_hold:
            return dict.fromkeys([*self.kinds(), "screen"], "inactive")
        wanted = {"audio": "sendrecv", "video": direction(self.video_send, self.video_recv)}
        # The agent's offers keep receiving the screen; the visitor's send it or not.
        screen = "sendonly" if self.screen_send else "recvonly"
        return {**{kind: wanted[kind] for kind in self.kinds()}, "screen": screen}

    def answer_preferences(self) -> dict[str, str]:
        """``transceiver.direction`` while answering: aiortc answers with the
        intersection of this and the offer, so accept whatever video the
        remote wants to send, and send video only when this party does."""
        if self.local_hold:
            return dict.fromkeys([*self.kinds(), "screen"], "inactive")
        wanted = {"audio": "sendrecv", "video": direction(self.video_send, True)}
        screen = direction(self.screen_send, True)
        return {**{kind: wanted[kind] for kind in self.kinds()}, "screen": screen}


@dataclasses.dataclass
class Reoffer:
    """A re-offer sent but not applied yet (see the module docstring)."""

    op: str
    offer: RTCSessionDescription
    plan: MediaPlan


class MediaPeer:
    """An ``RTCPeerConnection`` with a tone, optional video, and the call's rules.

    The visitor calls :meth:`create_offer` then :meth:`apply_answer`; the agent
    :meth:`accept_offer`. Either side then uses :meth:`create_reoffer` /
    :meth:`apply_reoffer_answer` for its own operations and
    :meth:`answer_reoffer` for the other party's. Nothing here talks to a
    server, so two peers can be wired directly in a test.
    """

    def __init__(
        self,
        media: str,
        *,
        ice_servers: Iterable[Mapping[str, Any]] | None = None,
        ice_transport_policy: str = "all",
        tone_hz: float = 440.0,
        video_track_factory: type[MediaStreamTrack] = SyntheticVideoTrack,
    ) -> None:
        self.media = check_media(media)
        self.plan = MediaPlan(media)
        self.pc: RTCPeerConnection = create_peer_connection(ice_servers, ice_transport_policy)
        self.audio_track = ToneAudioTrack(tone_hz)
        self.video_track: MediaStreamTrack | None = None
        self._video_track_factory = video_track_factory
        self.frames = FrameCounter()
        self.rtp_bytes = RtpByteCounter()
        self.pc.on("track", self._on_track)
        self._closing: asyncio.Future[None] | None = None
        self._added_screen = False  # a screen_start re-offer added the screen's transceiver

    # -- transceivers ----------------------------------------------------

    def _transceiver(self, kind: str) -> Any:
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == kind:
                return transceiver
        return None

    def _on_track(self, track: MediaStreamTrack) -> None:
        # The screen's frames are counted apart from the camera's, as "screen".
        screen = self.screen_transceiver()
        shared = screen is not None and screen.receiver.track is track
        self.frames.attach(track, "screen" if shared else track.kind)

    def _add_transceivers(self) -> None:
        # Added before any description is set, in the order of the m-lines;
        # aiortc pairs an offer's m-lines with existing transceivers by kind.
        self.pc.addTransceiver(self.audio_track, direction="sendrecv")
        if self.media != Media.AUDIO_SINGLE:
            preference = self.plan.answer_preferences()["video"]
            if self.plan.video_send:
                self.video_track = self._video_track_factory()
                self.pc.addTransceiver(self.video_track, direction=preference)
            else:
                self.pc.addTransceiver("video", direction=preference)
        self.rtp_bytes.install(self.pc)

    def screen_transceiver(self) -> Any:
        """The visitor's screen: the transceiver after the call's own m-lines, if any."""
        transceivers = self.pc.getTransceivers()
        own = len(self.plan.kinds())
        return transceivers[own] if len(transceivers) > own else None

    def _set_directions(self, directions: Mapping[str, str]) -> None:
        transceivers = self.pc.getTransceivers()
        own = len(self.plan.kinds())
        for transceiver in transceivers[:own]:
            if transceiver.kind in directions:
                transceiver.direction = directions[transceiver.kind]
        screen = self.screen_transceiver()
        if screen is not None and "screen" in directions:
            screen.direction = directions["screen"]

    def _ensure_video_track(self, plan: MediaPlan) -> None:
        transceiver = self._transceiver("video")
        if plan.video_send and transceiver is not None and transceiver.sender.track is None:
            self.video_track = self._video_track_factory()
            transceiver.sender.replaceTrack(self.video_track)

    # -- initial offer / answer --------------------------------------------

    async def create_offer(self) -> str:
        """The visitor's offer for ``call.create``, shaped by ``media``."""
        video = self.media == Media.VIDEO
        self.plan = dataclasses.replace(self.plan, video_send=video, video_recv=video)
        self._add_transceivers()
        self._set_directions(self.plan.offer_directions())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self._set_directions(self.plan.answer_preferences())
        return self.pc.localDescription.sdp

    async def apply_answer(self, answer_sdp: str) -> None:
        """The agent's answer (``call.answer`` after ``call.accept``)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
        self._learn_remote_video(answer_sdp)
        self.rtp_bytes.install(self.pc)

    async def accept_offer(self, offer_sdp: str, video: bool = False) -> str:
        """The agent's answer to ``call.incoming``; ``video`` sends video
        only when the caller offered it."""
        offered = dict(m_lines(offer_sdp))
        self.plan = dataclasses.replace(
            self.plan,
            # The caller's direction is its own view: "recvonly" means it
            # wants to receive the video this side sends.
            video_send=bool(video and receives(offered.get("video"))),
            video_recv=sends(offered.get("video")),
        )
        self._add_transceivers()
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self.rtp_bytes.install(self.pc)
        return self.pc.localDescription.sdp

    # -- re-offers -----------------------------------------------------------

    async def create_reoffer(self, op: str, screen: MediaStreamTrack | None = None) -> Reoffer:
        """The re-offer for this party's ``op``, without applying it yet; ``screen``: the
        track a ``screen_start`` shares (the first one adds its transceiver)."""
        if op not in REOFFER_OPS:
            raise ValueError(f"{op!r} is not a re-offer operation")
        plan = self.plan.after(op)
        self._ensure_video_track(plan)
        if op == Op.SCREEN_START:
            if screen is None:
                raise ValueError("screen_start needs the screen's track")
            transceiver = self.screen_transceiver()
            if transceiver is None:
                self.pc.addTransceiver(screen, direction="sendonly")
                self._added_screen = True
            else:
                transceiver.sender.replaceTrack(screen)
        self._set_directions(plan.offer_directions())
        try:
            offer = await self.pc.createOffer()
        finally:
            self._set_directions(self.plan.answer_preferences())
        if self.pc.remoteDescription is not None:
            # Keep the numbers the call already agreed on (see renumber.py).
            renumbered = keep_negotiated(offer.sdp, self.pc.remoteDescription.sdp)
            offer = RTCSessionDescription(sdp=renumbered, type="offer")
        return Reoffer(op=op, offer=offer, plan=plan)

    def drop_reoffer(self, reoffer: Reoffer) -> None:
        """A re-offer the server refused or that failed: a screen transceiver it added (never
        negotiated, so it has no mid yet) goes again, or the call's next re-offers would
        carry an m-line the server does not know. aiortc has no ``removeTransceiver``."""
        if reoffer.op == Op.SCREEN_START and self._added_screen:
            transceiver = self.screen_transceiver()
            if transceiver is not None and transceiver.mid is None:
                self.pc._RTCPeerConnection__transceivers.remove(transceiver)  # type: ignore[attr-defined]
            self._added_screen = False

    async def apply_reoffer_answer(self, reoffer: Reoffer, answer_sdp: str) -> None:
        await self.pc.setLocalDescription(reoffer.offer)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))
        self.plan = reoffer.plan
        self._added_screen = False
        if reoffer.op == Op.SCREEN_STOP and (screen := self.screen_transceiver()) is not None:
            screen.sender.replaceTrack(None)
        self._set_directions(self.plan.answer_preferences())
        if reoffer.op in VIDEO_OPS:
            self._learn_remote_video(answer_sdp)
        self.rtp_bytes.install(self.pc)

    async def answer_reoffer(self, op: str | None, offer_sdp: str) -> str:
        """Answer the other party's re-offer (``call.offer``)."""
        self._set_directions(self.plan.answer_preferences())
        await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        if op in VIDEO_OPS:
            self._learn_remote_video(offer_sdp)
        self.rtp_bytes.install(self.pc)
        return self.pc.localDescription.sdp

    def _learn_remote_video(self, remote_sdp: str) -> None:
        remote = dict(m_lines(remote_sdp))
        if "video" in remote:
            self.plan = dataclasses.replace(self.plan, video_recv=sends(remote["video"]))

    # -- mute ------------------------------------------------------------------

    def mute(self) -> None:
        self.audio_track.pause()

    def unmute(self) -> None:
        self.audio_track.resume()

    @property
    def muted(self) -> bool:
        return self.audio_track.paused

    # -- measurements --------------------------------------------------------

    def negotiated_directions(self) -> dict[str, str | None]:
        return {t.kind: t.currentDirection for t in self.pc.getTransceivers()}

    def inbound_bytes(self) -> dict[str, int]:
        return dict(self.rtp_bytes.bytes)

    async def inbound_packets(self) -> dict[str, int]:
        return await inbound_packets(self.pc)

    @property
    def frames_received(self) -> dict[str, int]:
        return dict(self.frames.counts)

    @property
    def candidate_pair(self) -> tuple[str, str] | None:
        """``(local, remote)`` types of the selected ICE candidate pair, once connected."""
        return selected_candidate_pair(self.pc)

    async def wait_connected(self, timeout: float) -> None:
        """Return once the media connected (or this side closed it: nothing failed);
        :class:`MediaFailed` if ICE (or DTLS) failed, or nothing connected within
        ``timeout`` seconds."""
        pc = self.pc
        done = asyncio.Event()

        def check() -> None:
            if pc.connectionState in ("connected", "failed", "closed"):
                done.set()

        pc.on("connectionstatechange", check)
        try:
            check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout)
        finally:
            pc.remove_listener("connectionstatechange", check)
        if pc.connectionState not in ("connected", "closed"):
            raise MediaFailed(
                f"the media did not connect (connection {pc.connectionState} "
                f"after at most {timeout:g}s): a network between the parties blocks the call, "
                "or the TURN relay refused the credential"
            )

    async def close(self) -> None:
        """Close the peer connection; safe to call often and concurrently."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        # Shielded: aiortc's close swallows a CancelledError that arrives
        # midway, which would leave the cancelled caller running.
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        try:
            await self._let_connecting_finish()
            await self.pc.close()
        finally:
            await self.frames.close()

    async def _let_connecting_finish(self, timeout: float = 1.0) -> None:
        """Close once the connection has connected (or failed), to dodge two
        races of aiortc 1.x / aioice 0.13 that a call hung up right after its
        answer runs into (bots and probes do that all day). Closed during the
        DTLS handshake, aiortc's connect task goes on to start a closed ICE
        transport and dies with an unretrieved ``InvalidStateError``, whose
        traceback keeps the whole peer connection alive; closed while the ICE
        checks complete, the ICE connection starts consent checks after it
        closed, a task that loops forever and holds it. Both leak a call's
        worth of memory. Without a remote description nothing connects."""
        pc = self.pc
        settled = asyncio.Event()

        def check() -> None:
            if pc.remoteDescription is None or pc.connectionState not in ("new", "connecting"):
                settled.set()

        check()
        if settled.is_set():
            return
        pc.on("connectionstatechange", check)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(settled.wait(), timeout)
        finally:
            pc.remove_listener("connectionstatechange", check)
