"""The requests of ``/ws/v1/calls``: one table of every request, and parsing frames.

``REQUESTS`` holds each request once: its type, its fields (``id`` and
``type`` aside) and the service that handles it. A handler takes the actor,
the call id if the request names a call, and the fields as keyword arguments
(``operations.accept(actor, call_id, sdp=..., video=...)``), and returns an
``Outcome``. Adding a request is one entry here and one function.

The server's events are built in ``events``; the answers to a request (``ack``,
``error``) here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from supportcall import text
from supportcall.quality import reports
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode, Media

from . import chat, files, operations, rating, screen, wrapup_requests
from .change import Actor, Outcome
from .events import Event
from .machine import CallError
from .sdp import check_candidate

MAX_ID = 64
MAX_CANDIDATE = 1_000
MAX_ADDRESS = 254  # an e-mail address's limit
MAX_WORD = 32  # media, status: one of a few words
MAX_MID = 64
MAX_UFRAG = 256  # RFC 8445's longest ufrag
MAX_MLINE_INDEX = 1_023


@dataclass(frozen=True)
class Request:
    type: str
    id: str | None
    call_id: uuid.UUID | None
    fields: dict[str, Any]


class _Field:
    """A request field: its JSON type; a string's length in characters, and whether it
    may hold line breaks (SDP)."""

    def __init__(
        self,
        kind: type | tuple[type, ...],
        required: bool = True,
        nullable: bool = False,
        max_length: int = MAX_WORD,
        multiline: bool = False,
    ):
        self.kind, self.required, self.nullable = kind, required, nullable
        self.max_length, self.multiline = max_length, multiline


@dataclass(frozen=True)
class RequestType:
    """One request of the contract: its fields, and the service that handles it."""

    fields: dict[str, _Field]
    handler: Callable[..., Outcome]


_CALL_ID = {"call_id": _Field(str, max_length=MAX_ID)}
_SDP = {"sdp": _Field(str, max_length=settings.SUPPORTCALL_MAX_SDP, multiline=True)}
_REOFFER = {**_CALL_ID, **_SDP}
_NUMBER = _Field((int, float), required=False, nullable=True)

REQUESTS: dict[str, RequestType] = {
    "call.create": RequestType(
        {
            "to": _Field(str, required=False, max_length=MAX_ADDRESS),
            "media": _Field(str),
            **_SDP,
            "check": _Field(dict, required=False, nullable=True),
            "consult_of": _Field(str, required=False, nullable=True, max_length=MAX_ID),
        },
        operations.create_call,
    ),
    "call.accept": RequestType(
        {**_CALL_ID, "video": _Field(bool, required=False), **_SDP}, operations.accept
    ),
    "call.reject": RequestType(_CALL_ID, operations.reject),
    "call.ignore": RequestType(_CALL_ID, operations.ignore),
    "call.forward": RequestType(
        {**_CALL_ID, "to": _Field(str, max_length=MAX_ADDRESS)}, operations.forward
    ),
    "call.end": RequestType({**_CALL_ID, "reason": _Field(str, required=False)}, operations.end),
    "call.hold": RequestType(_REOFFER, operations.hold),
    "call.unhold": RequestType(_REOFFER, operations.unhold),
    "call.video_start": RequestType(_REOFFER, operations.video_start),
    "call.video_stop": RequestType(_REOFFER, operations.video_stop),
    "call.transfer": RequestType(
        {
            **_CALL_ID,
            "to": _Field(str, max_length=MAX_ADDRESS),
            "notes": _Field(
                str, required=False, max_length=settings.SUPPORTCALL_WRAP_UP_NOTES, multiline=True
            ),
        },
        operations.transfer,
    ),
    "call.fresh_offer": RequestType(_REOFFER, operations.fresh_offer),
    "call.complete": RequestType(_CALL_ID, operations.complete),
    "call.mute": RequestType(_CALL_ID, operations.mute),
    "call.unmute": RequestType(_CALL_ID, operations.unmute),
    "call.restart_media": RequestType(_REOFFER, operations.restart_media),
    "call.screen_start": RequestType(_REOFFER, operations.screen_start),
    "call.screen_stop": RequestType(_REOFFER, operations.screen_stop),
    "screen.ask": RequestType(_CALL_ID, screen.ask),
    "screen.ask_stop": RequestType(_CALL_ID, screen.ask_stop),
    "screen.decline": RequestType(
        {**_CALL_ID, "reason": _Field(str, required=False)}, screen.decline
    ),
    "call.answer": RequestType(_REOFFER, operations.answer),
    "ice.candidate": RequestType(
        {**_CALL_ID, "candidate": _Field(dict, nullable=True)}, operations.relay_candidate
    ),
    "presence.set": RequestType(
        {"status": _Field(str), "reason": _Field((str, int), required=False, max_length=64)},
        operations.set_presence,
    ),
    "wrapup.save": RequestType(
        {
            **_CALL_ID,
            "disposition": _Field(int, required=False, nullable=True),
            "notes": _Field(
                str, required=False, max_length=settings.SUPPORTCALL_WRAP_UP_NOTES, multiline=True
            ),
        },
        wrapup_requests.save,
    ),
    "wrapup.extend": RequestType({}, wrapup_requests.extend),
    "wrapup.end": RequestType({}, wrapup_requests.ready),
    "queue.position": RequestType(_CALL_ID, operations.queue_position),
    "call.quality": RequestType(
        {
            **_CALL_ID,
            **{name: _NUMBER for name in reports.RANGES},
            "codec": _Field(str, required=False, nullable=True),
            "candidate_type": _Field(str, required=False, nullable=True),
        },
        reports.report,
    ),
    "chat.send": RequestType(
        {
            **_CALL_ID,
            "text": _Field(str, max_length=settings.SUPPORTCALL_CHAT_MAX_CHARS, multiline=True),
            "client_id": _Field(str, required=False, max_length=MAX_ID),
        },
        chat.send,
    ),
    "chat.typing": RequestType({**_CALL_ID, "typing": _Field(bool)}, chat.typing),
    "chat.upload": RequestType(
        {**_CALL_ID, "name": _Field(str, max_length=1000), "size": _Field(int)},
        files.upload_token,
    ),
    "call.rate": RequestType(
        {
            **_CALL_ID,
            "stars": _Field(int),
            "comment": _Field(
                str, required=False, max_length=settings.SUPPORTCALL_RATING_COMMENT, multiline=True
            ),
        },
        rating.rate,
    ),
}
# The check before the call (supportcall/precall/echo.py): no database, no call; the
# consumer runs them itself, with the echo peer it holds.
CHECK_REQUESTS: dict[str, dict[str, _Field]] = {
    "check.start": {"media": _Field(str, required=False), **_SDP},
    "check.candidate": {"candidate": _Field(dict, nullable=True)},
    "check.end": {},
}
# Watching the forward and transfer lists: a channel-layer group, no database; the consumer
# joins or leaves it itself.
WATCH_REQUESTS: dict[str, dict[str, _Field]] = {"targets.watch": {}, "targets.unwatch": {}}
_CONSUMERS_OWN = {**CHECK_REQUESTS, **WATCH_REQUESTS}
# Long for good reasons (an SDP, a pasted log): over the limit is `too_large`, not a bad frame.
LONG_FIELDS = frozenset({"sdp", "text", "comment"})


def handle(actor: Actor, request: Request) -> Outcome:
    """Run the service a parsed request calls for (in the database thread)."""
    handler = REQUESTS[request.type].handler
    if request.call_id is None:
        return handler(actor, **request.fields)
    return handler(actor.on(request.call_id), request.call_id, **request.fields)


def request_id(content: Any) -> str | None:
    """The frame's id if it is a usable one, so that even a bad frame's error can carry it."""
    if isinstance(content, dict):
        value = content.get("id")
        try:
            return text.check(value, "id", MAX_ID)
        except text.BadText:
            pass
    return None


def parse(content: Any) -> Request:
    """Validate one decoded frame; CallError(bad_request) says what is wrong."""
    if not isinstance(content, dict):
        raise CallError(ErrorCode.BAD_REQUEST, "a frame must be a JSON object")
    if "id" in content and request_id(content) is None:
        raise CallError(
            ErrorCode.BAD_REQUEST,
            f"'id' must be a string of at most {MAX_ID} characters, without control characters",
        )
    kind = content.get("type")
    if not isinstance(kind, str):
        raise CallError(ErrorCode.BAD_REQUEST, "'type' is missing")
    if kind == "auth":
        raise CallError(ErrorCode.BAD_REQUEST, "already authenticated")
    known = REQUESTS.get(kind)
    specs = known.fields if known is not None else _CONSUMERS_OWN.get(kind)
    if specs is None:
        raise CallError(ErrorCode.BAD_REQUEST, f"unknown type {excerpt(kind)}")
    fields: dict[str, Any] = {}
    for name, spec in specs.items():
        if name not in content:
            if spec.required:
                raise CallError(ErrorCode.BAD_REQUEST, f"{kind} needs '{name}'")
            continue
        value = content[name]
        if value is None and spec.nullable:
            fields[name] = None
        elif not isinstance(value, spec.kind) or (
            spec.kind is not bool and isinstance(value, bool)
        ):
            raise CallError(ErrorCode.BAD_REQUEST, f"'{name}' must be {_kind_name(spec.kind)}")
        elif isinstance(value, str):
            fields[name] = _text(value, name, spec)
        else:
            fields[name] = value
    call_id = None
    if "call_id" in fields:
        try:
            call_id = uuid.UUID(fields.pop("call_id"))
        except ValueError:
            raise CallError(ErrorCode.BAD_REQUEST, "'call_id' is not a call id") from None
    if fields.get("consult_of") is not None:
        try:
            fields["consult_of"] = uuid.UUID(fields["consult_of"])
        except ValueError:
            raise CallError(ErrorCode.BAD_REQUEST, "'consult_of' is not a call id") from None
    if "media" in fields and fields["media"] not in set(Media):
        raise CallError(ErrorCode.BAD_REQUEST, f"'media' must be one of {', '.join(Media)}")
    if fields.get("candidate") is not None:
        _check_candidate(fields["candidate"])
    return Request(kind, request_id(content), call_id, fields)


def _text(value: str, name: str, spec: _Field) -> str:
    try:
        return text.check(value, name, spec.max_length, multiline=spec.multiline)
    except text.TooLong as e:
        # Saying so is more use than bad_request for text that can be long for good reasons.
        code = ErrorCode.TOO_LARGE if name in LONG_FIELDS else ErrorCode.BAD_REQUEST
        raise CallError(code, str(e)) from None
    except text.BadText as e:
        raise CallError(ErrorCode.BAD_REQUEST, str(e)) from None


# A browser's RTCIceCandidateInit, and nothing else (the caller's early candidates are
# stored in the call's row and sent to every agent rung).
CANDIDATE_FIELDS = ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")


def _check_candidate(candidate: dict[str, Any]) -> None:
    if not set(candidate) <= set(CANDIDATE_FIELDS):
        raise CallError(
            ErrorCode.BAD_REQUEST, f"'candidate' takes only {', '.join(CANDIDATE_FIELDS)}"
        )
    line = candidate.get("candidate")
    if not isinstance(line, str):
        raise CallError(ErrorCode.BAD_REQUEST, "'candidate.candidate' must be a candidate line")
    try:
        text.check(line, "candidate.candidate", MAX_CANDIDATE)
        for name, limit in (("sdpMid", MAX_MID), ("usernameFragment", MAX_UFRAG)):
            if candidate.get(name) is not None:
                text.check(candidate[name], f"candidate.{name}", limit)
    except text.BadText as e:
        raise CallError(ErrorCode.BAD_REQUEST, str(e)) from None
    index = candidate.get("sdpMLineIndex")
    if index is not None and (
        not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_MLINE_INDEX
    ):
        raise CallError(
            ErrorCode.BAD_REQUEST,
            f"'sdpMid' must be a string and 'sdpMLineIndex' a number up to {MAX_MLINE_INDEX}",
        )
    if line:  # an empty line is the end of candidates
        check_candidate(line)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names: dict[Any, str] = {
        str: "a string",
        bool: "true or false",
        dict: "an object",
        int: "a number",
        (int, float): "a number",
        (str, int): "a string or a number",
    }
    return names.get(kind, str(kind))


# --- answers -------------------------------------------------------------


def ack(request_id: str | None, **result: Any) -> dict[str, Any]:
    return {"type": "ack", "id": request_id, **result}


def error(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "code": code, "message": message}


# --- opening ----------------------------------------------------------------


def auth(content: Any) -> tuple[str, str]:
    """The token of an ``auth`` frame and its kind: ``login`` (``token``) or ``resume``
    (``resume_token``). Any other first frame gives no token: it is refused like a bad one."""
    if not isinstance(content, dict) or content.get("type") != "auth":
        return "", "login"
    if "resume_token" in content:
        token, kind = content.get("resume_token"), "resume"
    else:
        token, kind = content.get("token"), "login"
    return (token if isinstance(token, str) else ""), kind


def hello(
    role: str,
    identity: str,
    resume_token: str,
    *,
    resume_grace: float,
    ping_interval: float,
    quality_interval: float,
    file_max_bytes: int,
    ice: dict[str, Any],
    presence: str | None = None,
    away_reason: str = "",
    wrap_up: Event | None = None,
) -> Event:
    """The answer to a good ``auth``; an agent's carries the presence it chose (and why
    away), and its wrap-up going on (an ``agent.wrap_up`` event) if it is in one.

    ``ice`` (``tokens.ice.ice_config``): the ICE servers with a fresh TURN credential,
    so a resumed connection, and with it a long call, never holds an expired one."""
    event: Event = {
        "type": "hello",
        "protocol": 1,
        "role": role,
        "identity": identity,
        "resume_token": resume_token,
        "resume_grace": resume_grace,
        "ping_interval": ping_interval,
        "quality_interval": quality_interval,
        "file_max_bytes": file_max_bytes,
        **ice,
    }
    if presence is not None:
        event["presence"] = presence
    if away_reason:
        event["away_reason"] = away_reason
    if wrap_up is not None:
        event["wrap_up"] = wrap_up
    return event
