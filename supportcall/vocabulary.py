"""The words of the wire contract (docs/protocol.md), defined once for Python.

Django-free on purpose: the server, the Python client (``supportcall.client``)
and the tests all import these, so a state, an operation, an end reason, an
error code or a close code is spelled in exactly one place. The browser's
copy is exported by ``static/supportcall/phone.js``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    VISITOR = "visitor"
    AGENT = "agent"


class Media(StrEnum):
    VIDEO = "video"  # audio and video
    AUDIO = "audio"  # audio plus an inactive video m-line: video can start later
    AUDIO_SINGLE = "audio_single"  # one audio m-line: video can never start


class State(StrEnum):
    """What one party sees of a call."""

    INITIATED = "initiated"
    QUEUED = "queued"
    RINGING = "ringing"
    IN_CALL = "in_call"
    ON_HOLD = "on_hold"
    REMOTELY_HELD = "remotely_held"
    ON_DOUBLE_HOLD = "on_double_hold"
    ENDED = "ended"


# The states of an answered call: media flows (or is held) between the parties.
CONNECTED_STATES = frozenset(
    {State.IN_CALL, State.ON_HOLD, State.REMOTELY_HELD, State.ON_DOUBLE_HOLD}
)


class Op(StrEnum):
    """The operations: each is the request ``call.<op>`` and ends with an ``op.result``."""

    ACCEPT = "accept"
    REJECT = "reject"
    IGNORE = "ignore"
    FORWARD = "forward"
    END = "end"
    HOLD = "hold"
    UNHOLD = "unhold"
    VIDEO_START = "video_start"
    VIDEO_STOP = "video_stop"
    MUTE = "mute"
    UNMUTE = "unmute"
    RESTART_MEDIA = "restart_media"  # an ICE-restart re-offer after a network change
    # Blind transfer of an answered call to an agent or a queue (the agent side's).
    TRANSFER = "transfer"
    # Consult (warm) transfer: the answered agent, having held its caller, calls a
    # colleague about the call (``call.create`` with ``consult_of``: this operation on the
    # held call), then completes (``call.complete`` on the consult call: the caller goes
    # to the colleague) or cancels (``call.end`` on the consult call).
    CONSULT = "consult"
    COMPLETE = "complete"
    # The visitor's screen, on a video m-line of its own after the call's (docs/protocol.md).
    SCREEN_START = "screen_start"
    SCREEN_STOP = "screen_stop"


# Operations finished by the other party's `call.answer` to a re-offer.
REOFFER_OPS = frozenset(
    {
        Op.HOLD,
        Op.UNHOLD,
        Op.VIDEO_START,
        Op.VIDEO_STOP,
        Op.RESTART_MEDIA,
        Op.SCREEN_START,
        Op.SCREEN_STOP,
    }
)
# Operations on an incoming call: only the agent side has one.
AGENT_OPS = frozenset({Op.ACCEPT, Op.REJECT, Op.IGNORE, Op.FORWARD, Op.TRANSFER, Op.CONSULT})
VIDEO_OPS = frozenset({Op.VIDEO_START, Op.VIDEO_STOP})
# Operations only the caller has: its screen is its own to share.
SCREEN_OPS = frozenset({Op.SCREEN_START, Op.SCREEN_STOP})


class ScreenRefusal(StrEnum):
    """Why the visitor did not share its screen (``screen.decline``'s ``reason``)."""

    DECLINED = "declined"  # said "Not now", or refused the browser's permission
    NOT_SUPPORTED = "not_supported"  # the browser has no getDisplayMedia (mobile browsers)


# Operations after which the call (or this agent's part of it) is over for the sender.
ENDING_OPS = frozenset({Op.END, Op.REJECT, Op.IGNORE, Op.FORWARD, Op.TRANSFER, Op.COMPLETE})


class Reason(StrEnum):
    """Why a call ended, for one party (``call.state`` ``ended``'s ``reason``)."""

    ENDED_BY_LOCAL = "ended_by_local"
    ENDED_BY_REMOTE = "ended_by_remote"
    REJECTED = "rejected"
    IGNORED = "ignored"
    NO_ANSWER = "no_answer"
    NO_AGENTS = "no_agents"
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    CANCELLED = "cancelled"
    FORWARDED = "forwarded"
    # The agent's part of an answered call it handed on (call.transfer, call.complete),
    # and, for both agents, the consult call a call.complete ended.
    TRANSFERRED = "transferred"
    # A transfer nobody took, in a queue whose fallback is a callback: the caller's call
    # ends and a callback request is left in the queue for it.
    CALLBACK_REQUESTED = "callback_requested"
    CONNECTION_LOST = "connection_lost"
    # An answered call whose media never connected (ICE failed, or timed out): a
    # network between the parties blocks it, or the TURN relay refused them.
    MEDIA_FAILED = "media_failed"
    ERROR = "error"


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` answer, an HTTP refusal, or a failed ``op.result``."""

    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INVALID_STATE = "invalid_state"
    OPERATION_IN_PROGRESS = "operation_in_progress"
    NOT_SUPPORTED = "not_supported"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    INTERNAL_ERROR = "internal_error"


class Close:
    """How the server closes ``/ws/v1/calls``, and what the client should do next.

    Plain ints, not an IntEnum: daphne's WebSocket library refuses a close code
    whose type is not exactly ``int`` (the connection then fails with 1011).
    """

    NORMAL: Final = 1000  # sent by a client leaving for good (logged out, tab closed)
    GOING_AWAY: Final = 1001
    UNAUTHORIZED: Final = 4401  # a bad or missing token: log in again
    FORBIDDEN: Final = 4403  # a visitor's Origin is not allowed for its site
    IDLE: Final = 4408  # nothing received for SUPPORTCALL_IDLE_TIMEOUT: taken for dead
    REPLACED: Final = 4409  # the party resumed on another connection: do not reconnect
    RESYNC: Final = 4011  # events to this connection were lost: resume to get the calls replayed
    # The client left more than SUPPORTCALL_WS_UNSENT bytes unread: WebSocket's 1008
    # (Policy Violation) in the application range. Reconnect, read, and resume.
    UNREAD: Final = 4008
    # The server process is shutting down: reconnect (elsewhere) and resume. WebSocket's
    # own 1012 (Service Restart), moved to the application range: daphne's autobahn only
    # lets a server send 1000 or 3000-4999.
    RESTART: Final = 4012


# A client closing with one of these is leaving: its calls end at once, no grace.
LEAVING_CLOSES = frozenset({Close.NORMAL, Close.GOING_AWAY})
# After these, reconnecting with the same token cannot work.
FINAL_CLOSES = frozenset({Close.UNAUTHORIZED, Close.FORBIDDEN, Close.REPLACED})


class Link(StrEnum):
    """The other party's signaling connection, as ``call.media``'s ``connection`` tells it."""

    RECONNECTING = "reconnecting"
    CONNECTED = "connected"


class Presence(StrEnum):
    """An agent's presence: what it chose (``presence.set``), or what the server computes.

    The supervisor's view and the routing log say all four; ``hello``,
    ``presence`` events and ``presence.set`` only the chosen ones.
    """

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"  # computed: no connection
    BUSY = "busy"  # computed: on as many calls as the agent may take


# What an agent may choose, and what its record keeps.
CHOSEN_PRESENCES = frozenset({Presence.AVAILABLE, Presence.AWAY})
