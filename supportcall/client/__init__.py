"""supportcall's Python client: real calls over aiortc, for tests, bots and monitoring.

It speaks the wire contract (``docs/protocol.md``, words from
``supportcall.vocabulary``) and imports no Django, so it runs anywhere aiortc
does::

    from supportcall.client import Agent, Options, Visitor
    from supportcall.vocabulary import State

    async with Visitor(Options("http://127.0.0.1:8000"), site="demo") as visitor:
        call = await visitor.call(media="audio")
        await call.wait_for_state(State.IN_CALL, timeout=10)

See ``docs/client.md``.
"""

from .chat import ChatMessage
from .errors import (
    CallEnded,
    CallError,
    LoginError,
    MediaFailed,
    OperationFailed,
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
from .options import ConnectionState, Options
from .peer import MediaPeer, MediaPlan
from .session import Agent, Call, Client, Visitor, wait_for_flow
from .signaling import Signaling

__all__ = [
    "Agent",
    "Call",
    "CallEnded",
    "CallError",
    "ChatMessage",
    "Client",
    "ConnectionState",
    "FrameCounter",
    "LoginError",
    "MediaFailed",
    "MediaPeer",
    "MediaPlan",
    "OperationFailed",
    "Options",
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
