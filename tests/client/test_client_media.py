"""The synthetic tracks, the ICE configuration, and what the client imports."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from array import array
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from supportcall.client import MediaFailed, SyntheticVideoTrack, ToneAudioTrack, rtc_configuration
from supportcall.client.media import ice_servers_from_json
from supportcall.client.peer import MediaPeer

REPO = Path(__file__).resolve().parents[2]


async def test_tone_frames_are_20ms_of_48khz_mono_with_contiguous_pts():
    track = ToneAudioTrack(440)
    frames = [await track.recv() for _ in range(3)]

    assert [f.samples for f in frames] == [960, 960, 960]
    assert [f.pts for f in frames] == [0, 960, 1920]
    assert {(f.sample_rate, str(f.time_base), f.format.name, f.layout.name) for f in frames} == {
        (48000, "1/48000", "s16", "mono")
    }


async def test_tone_is_a_sine_of_the_requested_frequency():
    track = ToneAudioTrack(1000, amplitude=0.5)
    samples = array("h")
    for _ in range(5):  # 100 ms
        samples.frombytes(bytes((await track.recv()).planes[0])[: 960 * 2])

    rising = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert rising in (99, 100)  # 1000 Hz for 0.1 s
    assert max(samples) == pytest.approx(0.5 * 32767, rel=0.01)


async def test_tone_is_paced_in_real_time():
    track = ToneAudioTrack()
    start = time.monotonic()
    for _ in range(11):
        await track.recv()

    assert time.monotonic() - start == pytest.approx(0.2, abs=0.05)


async def test_a_paused_tone_blocks_until_resumed_without_a_catch_up_burst():
    track = ToneAudioTrack()
    await track.recv()
    track.pause()
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.3)
    assert not pending.done()

    track.resume()
    frame = await asyncio.wait_for(pending, 1)
    start = time.monotonic()
    for _ in range(5):
        await track.recv()

    assert frame.pts == 960  # contiguous: the encoder's resampler needs it
    assert time.monotonic() - start >= 0.08  # paced, not a burst of 15 frames


async def test_a_stopped_tone_track_ends():
    track = ToneAudioTrack()
    track.stop()

    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_synthetic_video_is_moving_yuv420p():
    track = SyntheticVideoTrack(width=160, height=120)
    first, second = await track.recv(), await track.recv()

    assert (first.width, first.height, first.format.name) == (160, 120, "yuv420p")
    assert second.pts > first.pts
    assert bytes(first.planes[0]) != bytes(second.planes[0])
    assert len(set(bytes(first.planes[0]))) == 8  # eight colour bars


def test_the_default_configuration_has_no_ice_server_at_all():
    configuration = rtc_configuration()

    assert configuration.iceServers == []


def test_aiortcs_own_default_would_use_a_public_stun_server():
    """Why the client never uses ``RTCPeerConnection()`` bare."""
    assert RTCConfiguration().iceServers is None  # aiortc then adds stun.l.google.com


def test_the_relay_policy_reaches_aiortc():
    assert rtc_configuration().iceTransportPolicy.value == "all"
    assert rtc_configuration([], "relay").iceTransportPolicy.value == "relay"
    with pytest.raises(ValueError):
        rtc_configuration([], "none")


async def test_media_that_never_connects_fails_within_its_timeout_and_closed_media_does_not():
    waiting = MediaPeer("audio", ice_transport_policy="relay")  # no TURN: nothing to gather
    await waiting.create_offer()
    started = time.monotonic()
    with pytest.raises(MediaFailed, match="did not connect"):
        await waiting.wait_connected(0.5)
    assert 0.5 <= time.monotonic() - started < 3
    assert waiting.candidate_pair is None
    await waiting.close()

    closed = MediaPeer("audio")
    await closed.close()
    await closed.wait_connected(0.5)  # closed on purpose: nothing to report


def test_ice_servers_from_the_server_are_used_as_given():
    servers = ice_servers_from_json(
        [
            {"urls": "stun:stun.support.test:3478"},
            {"urls": ["turn:turn.support.test?transport=udp"], "username": "u", "credential": "c"},
            {"username": "ignored: no urls"},
        ]
    )

    assert [(s.urls, s.username, s.credential) for s in servers] == [
        ("stun:stun.support.test:3478", None, None),
        (["turn:turn.support.test?transport=udp"], "u", "c"),
    ]


async def test_the_clients_peer_connection_has_no_public_stun_server():
    peer = MediaPeer("video")
    try:
        offer = await peer.create_offer()
        for transceiver in peer.pc.getTransceivers():
            connection = transceiver.sender.transport.transport.iceGatherer._connection
            assert connection.stun_server is None
            assert connection.turn_server is None
        candidates = [line for line in offer.splitlines() if line.startswith("a=candidate:")]
        assert candidates
        assert all(" typ host" in line for line in candidates)
    finally:
        await peer.close()


async def test_a_bare_aiortc_peer_connection_would_have_had_one():
    """The check above can fail: this is what it looks like when it should."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio")
        gatherer = pc.getTransceivers()[0].sender.transport.transport.iceGatherer
        assert gatherer._connection.stun_server == ("stun.l.google.com", 19302)
    finally:
        await pc.close()


def test_the_client_imports_no_django_and_of_supportcall_only_the_vocabulary_and_verdicts():
    # The vocabulary, and the check's verdict (supportcall/precall/verdict.py: plain Python,
    # shared so that a probe judges its check as the server does).
    allowed = "('supportcall.vocabulary', 'supportcall.precall', 'supportcall.precall.verdict')"
    code = (
        "import sys, supportcall.client, supportcall.client.cli\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')"
        " or (m.startswith('supportcall.') and not m.startswith('supportcall.client')"
        f" and m not in {allowed}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=REPO,
    )

    assert result.stdout.strip() == ""
