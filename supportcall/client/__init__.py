"""supportcall's Python client: real calls over aiortc, for tests, bots and monitoring.

It speaks the wire contract (``docs/protocol.md``) and imports no Django, so it
runs anywhere aiortc does::

    from supportcall.client import Agent, Visitor

    async with Visitor("http://127.0.0.1:8000", site="demo") as visitor:
        call = await visitor.call(media="audio")
        await call.wait_for_state("in_call", timeout=10)
"""

from .errors import (
    CallEnded,
    CallError,
    LoginError,
    ServerUnreachable,
    SignalingClosed,
    SupportCallError,
)
from .media import (
    FrameCounter,
    RtpByteCounter,
    SyntheticVideoTrack,
    ToneAudioTrack,
    create_peer_connection,
    rtc_configuration,
)
from .peer import MediaPeer, MediaPlan
from .session import Agent, Call, Client, OpResult, Visitor, wait_for_flow
from .signaling import Signaling

__all__ = [
    "Agent",
    "Call",
    "CallEnded",
    "CallError",
    "Client",
    "FrameCounter",
    "LoginError",
    "MediaPeer",
    "MediaPlan",
    "OpResult",
    "RtpByteCounter",
    "ServerUnreachable",
    "Signaling",
    "SignalingClosed",
    "SupportCallError",
    "SyntheticVideoTrack",
    "ToneAudioTrack",
    "Visitor",
    "create_peer_connection",
    "rtc_configuration",
    "wait_for_flow",
]
