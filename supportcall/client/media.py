"""Synthetic media for calls placed by bots and tests, and ways to measure it.

* :class:`ToneAudioTrack` sends a sine tone, :class:`SyntheticVideoTrack`
  scrolling colour bars: real frames, encoded by aiortc like a camera's.
* :class:`FrameCounter` consumes the remote tracks and counts decoded frames.
* :class:`RtpByteCounter` counts RTP payload bytes as they arrive, per kind.
* :func:`create_peer_connection` builds an ``RTCPeerConnection`` with exactly
  the ICE servers the supportcall server handed out, and nothing else.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

SAMPLE_RATE = 48000
AUDIO_PTIME = 0.020
SAMPLES_PER_FRAME = int(SAMPLE_RATE * AUDIO_PTIME)
AUDIO_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)

KINDS = ("audio", "video")


class ToneAudioTrack(MediaStreamTrack):
    """A sine tone: 48 kHz mono ``s16``, one 20 ms frame per ``recv()``.

    ``pause()`` is how the client mutes: ``recv()`` then blocks, so aiortc's
    sender has nothing to encode and sends no audio RTP at all (the remote's
    inbound audio bytes stop, which is what a test can check). ``resume()``
    continues the tone; timestamps stay contiguous because aiortc's Opus
    resampler expects contiguous ``pts``.
    """

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.3) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._samples = 0
        self._start: float | None = None
        self._running = asyncio.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if not self._running.is_set():
            await self._running.wait()
            # Re-anchor the clock so a long pause is not "caught up" with a
            # burst of frames.
            self._start = None

        now = time.monotonic()
        if self._start is None:
            self._start = now - self._samples / SAMPLE_RATE
        else:
            wait = self._start + self._samples / SAMPLE_RATE - now
            if wait > 0:
                await asyncio.sleep(wait)

        peak = int(32767 * self.amplitude)
        step = 2 * math.pi * self.frequency / SAMPLE_RATE
        first = self._samples
        samples = array.array(
            "h", (int(peak * math.sin(step * (first + i))) for i in range(SAMPLES_PER_FRAME))
        )
        frame = AudioFrame(format="s16", layout="mono", samples=SAMPLES_PER_FRAME)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = first
        frame.time_base = AUDIO_TIME_BASE
        self._samples += SAMPLES_PER_FRAME
        return frame


# BT.601 (Y, U, V) of the classic colour bars: white, yellow, cyan, green,
# magenta, red, blue, black.
_BARS = (
    (235, 128, 128),
    (210, 16, 146),
    (170, 166, 16),
    (145, 54, 34),
    (106, 202, 222),
    (81, 90, 240),
    (41, 240, 110),
    (16, 128, 128),
)


class SyntheticVideoTrack(VideoStreamTrack):
    """Colour bars scrolling sideways, ``yuv420p`` at 30 frames per second.

    Small by default (320x240) so that several calls' VP8 encoders fit on a
    test machine; the motion keeps the encoder producing real inter frames.
    """

    def __init__(self, width: int = 320, height: int = 240, speed: int = 4) -> None:
        super().__init__()
        if width % 2 or height % 2:
            raise ValueError("width and height must be even for yuv420p")
        self.width = width
        self.height = height
        self.speed = speed
        self._offset = 0
        self._rows = [self._bar_row(width, c) for c in range(3)]

    @staticmethod
    def _bar_row(width: int, component: int) -> bytes:
        # Luma is full width, chroma half width (4:2:0).
        length = width if component == 0 else width // 2
        return bytes(_BARS[x * len(_BARS) // length][component] for x in range(length))

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        for component, plane in enumerate(frame.planes):
            row = self._rows[component]
            shift = (self._offset if component == 0 else self._offset // 2) % len(row)
            line = row[shift:] + row[:shift]
            line += bytes(plane.line_size - len(line))
            plane.update(line * (plane.buffer_size // plane.line_size))
        self._offset += self.speed
        frame.pts = pts
        frame.time_base = time_base
        return frame


class FrameCounter:
    """Consumes remote tracks and counts the frames decoded per kind."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.last_frame_at: dict[str, float | None] = dict.fromkeys(KINDS, None)
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, track: MediaStreamTrack, kind: str | None = None) -> None:
        """Count ``track``'s frames under ``kind`` (its own kind unless given)."""
        task = asyncio.ensure_future(self._consume(track, kind or track.kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consume(self, track: MediaStreamTrack, kind: str) -> None:
        try:
            while True:
                await track.recv()
                self.counts[kind] = self.counts.get(kind, 0) + 1
                self.last_frame_at[kind] = time.monotonic()
        except MediaStreamError:
            # The track ends when the peer connection closes.
            pass

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class RtpByteCounter:
    """Counts RTP payload bytes received per kind, as they come off the wire.

    aiortc 1.16's ``inbound-rtp`` stats have ``packetsReceived`` but no
    ``bytesReceived``, and they only count packets that the receiver accepts
    under the negotiated direction. To see what really arrives (a remote that
    keeps sending during hold must show up), this wraps each receiver's packet
    handler, which aiortc's DTLS transport calls for every routed RTP packet
    before any direction check. Payload bytes, as in W3C ``bytesReceived``.
    """

    _MARK = "_supportcall_counted"

    def __init__(self) -> None:
        self.bytes: dict[str, int] = dict.fromkeys(KINDS, 0)

    def install(self, pc: RTCPeerConnection) -> None:
        """Hook every receiver of ``pc`` not hooked yet (call after changes)."""
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            if getattr(receiver, self._MARK, False):
                continue
            handler = getattr(receiver, "_handle_rtp_packet", None)
            if handler is None:
                raise RuntimeError("this aiortc has no RTCRtpReceiver._handle_rtp_packet")
            receiver._handle_rtp_packet = self._wrap(transceiver.kind, handler)  # type: ignore[method-assign,assignment]
            setattr(receiver, self._MARK, True)

    def _wrap(
        self, kind: str, handler: Callable[..., Awaitable[None]]
    ) -> Callable[..., Awaitable[None]]:
        async def counting_handler(packet: Any, *args: Any, **kwargs: Any) -> None:
            self.bytes[kind] = self.bytes.get(kind, 0) + len(packet.payload)
            await handler(packet, *args, **kwargs)

        return counting_handler


async def inbound_packets(pc: RTCPeerConnection) -> dict[str, int]:
    """``packetsReceived`` per kind from ``pc.getStats()`` ``inbound-rtp``."""
    totals = dict.fromkeys(KINDS, 0)
    report = await pc.getStats()
    for stats in report.values():
        if getattr(stats, "type", None) == "inbound-rtp":
            totals[stats.kind] = totals.get(stats.kind, 0) + stats.packetsReceived
    return totals


def ice_servers_from_json(servers: Iterable[Mapping[str, Any]] | None) -> list[RTCIceServer]:
    """Convert browser-style ``iceServers`` dictionaries for aiortc."""
    result = []
    for server in servers or ():
        urls = server.get("urls", server.get("url"))
        if not urls:
            continue
        result.append(
            RTCIceServer(
                urls=urls,
                username=server.get("username"),
                credential=server.get("credential"),
            )
        )
    return result


def rtc_configuration(
    ice_servers: Iterable[Mapping[str, Any]] | None = None, ice_transport_policy: str = "all"
) -> RTCConfiguration:
    """An ``RTCConfiguration`` with exactly ``ice_servers`` (default: none).

    Never rely on aiortc's default configuration: it quietly adds Google's
    public STUN server, and supportcall must not contact public addresses.
    Max-bundle puts every m-line on one ICE transport: one set of ports.
    """
    return RTCConfiguration(
        iceServers=ice_servers_from_json(ice_servers),
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        # "relay" (the server's SUPPORTCALL_ICE_TRANSPORT_POLICY): aioice then gathers
        # relayed candidates only and ignores the remote's host ones.
        iceTransportPolicy=RTCIceTransportPolicy(ice_transport_policy),
    )


def create_peer_connection(
    ice_servers: Iterable[Mapping[str, Any]] | None = None, ice_transport_policy: str = "all"
) -> RTCPeerConnection:
    return RTCPeerConnection(configuration=rtc_configuration(ice_servers, ice_transport_policy))


def _ice_connection(pc: RTCPeerConnection) -> Any:
    """aioice's connection under the peer's first transport (aiortc's ``getStats()`` has
    no ``candidate-pair``), or None."""
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        return getattr(getattr(transport, "transport", None), "_connection", None)
    return None


def selected_candidate_pair(pc: RTCPeerConnection) -> tuple[str, str] | None:
    """The ``(local, remote)`` candidate types (host, srflx, prflx, relay) of the pair
    ICE selected, or ``None`` before one is: aioice's nominated pair."""
    nominated = getattr(_ice_connection(pc), "_nominated", None) or {}
    for pair in nominated.values():
        return pair.local_candidate.type, pair.remote_candidate.type
    return None


# From the most direct to the least: what a check says it reached.
DIRECTNESS = ("host", "srflx", "prflx", "relay")


def most_direct_candidate_type(pc: RTCPeerConnection) -> str | None:
    """The most direct local candidate type of any pair whose check succeeded, or None.

    aioice nominates the first pair whose check succeeds, so a host pair whose first
    check was lost or slow (a loaded machine) can lose to the relay although it works;
    its check, already sent, still completes. A check before the call says what a call
    could reach, so it asks this rather than which pair won.
    """
    succeeded = {
        pair.local_candidate.type
        for pair in getattr(_ice_connection(pc), "_check_list", None) or ()
        if getattr(pair.state, "name", "") == "SUCCEEDED"
    }
    return next((kind for kind in DIRECTNESS if kind in succeeded), None)
