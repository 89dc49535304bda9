"""The wire contract: parsing client frames and building server events.

Everything that knows the JSON shapes of ``/ws/v1/calls`` lives here, so the
consumer stays thin and the services speak Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .machine import CallError, Media, Op

MAX_ID = 64
MAX_SDP = 60_000
MAX_CANDIDATE = 1_000


@dataclass(frozen=True)
class Request:
    type: str
    id: str | None
    call_id: uuid.UUID | None
    fields: dict[str, Any]


class _Field:
    def __init__(
        self, kind: type | tuple[type, ...], required: bool = True, nullable: bool = False
    ):
        self.kind, self.required, self.nullable = kind, required, nullable


_CALL_ID = {"call_id": _Field(str)}
_SDP = {"sdp": _Field(str)}

# The requests of the contract and their fields ("id" and "type" aside).
REQUESTS: dict[str, dict[str, _Field]] = {
    "call.create": {"to": _Field(str, required=False), "media": _Field(str), **_SDP},
    "call.accept": {**_CALL_ID, "video": _Field(bool, required=False), **_SDP},
    "call.reject": _CALL_ID,
    "call.ignore": _CALL_ID,
    "call.forward": {**_CALL_ID, "to": _Field(str)},
    "call.end": _CALL_ID,
    "call.hold": {**_CALL_ID, **_SDP},
    "call.unhold": {**_CALL_ID, **_SDP},
    "call.video_start": {**_CALL_ID, **_SDP},
    "call.video_stop": {**_CALL_ID, **_SDP},
    "call.mute": _CALL_ID,
    "call.unmute": _CALL_ID,
    "call.restart_media": {**_CALL_ID, **_SDP},
    "call.answer": {**_CALL_ID, **_SDP},
    "ice.candidate": {**_CALL_ID, "candidate": _Field(dict, nullable=True)},
    "presence.set": {"status": _Field(str)},
    "queue.position": _CALL_ID,
}

# The requests that are operations, by their op name.
OPERATIONS: dict[str, Op] = {f"call.{op}": op for op in Op}


def request_id(content: Any) -> str | None:
    """The frame's id if it is a usable one, so that even a bad frame's error can carry it."""
    if isinstance(content, dict):
        value = content.get("id")
        if isinstance(value, str) and len(value) <= MAX_ID:
            return value
    return None


def parse(content: Any) -> Request:
    """Validate one decoded frame; CallError(bad_request) says what is wrong."""
    if not isinstance(content, dict):
        raise CallError("bad_request", "a frame must be a JSON object")
    if "id" in content and request_id(content) is None:
        raise CallError("bad_request", f"'id' must be a string of at most {MAX_ID} characters")
    kind = content.get("type")
    if not isinstance(kind, str):
        raise CallError("bad_request", "'type' is missing")
    if kind == "auth":
        raise CallError("bad_request", "already authenticated")
    schema = REQUESTS.get(kind)
    if schema is None:
        raise CallError("bad_request", f"unknown type {kind!r}")
    fields: dict[str, Any] = {}
    for name, spec in schema.items():
        if name not in content:
            if spec.required:
                raise CallError("bad_request", f"{kind} needs '{name}'")
            continue
        value = content[name]
        if value is None and spec.nullable:
            fields[name] = None
        elif not isinstance(value, spec.kind) or (
            spec.kind is not bool and isinstance(value, bool)
        ):
            raise CallError("bad_request", f"'{name}' must be {_kind_name(spec.kind)}")
        else:
            fields[name] = value
    call_id = None
    if "call_id" in fields:
        try:
            call_id = uuid.UUID(fields.pop("call_id"))
        except ValueError:
            raise CallError("bad_request", "'call_id' is not a call id") from None
    if "media" in fields and fields["media"] not in set(Media):
        raise CallError("bad_request", f"'media' must be one of {', '.join(Media)}")
    if len(fields.get("sdp", "")) > MAX_SDP:
        raise CallError("too_large", f"the SDP is over {MAX_SDP} characters")
    if fields.get("candidate") is not None:
        _check_candidate(fields["candidate"])
    return Request(kind, request_id(content), call_id, fields)


def _check_candidate(candidate: dict[str, Any]) -> None:
    text = candidate.get("candidate")
    if not isinstance(text, str) or len(text) > MAX_CANDIDATE:
        raise CallError("bad_request", "'candidate.candidate' must be a candidate line")
    if text and not text.startswith(("candidate:", "a=candidate:")):
        raise CallError("bad_request", "'candidate.candidate' must start with 'candidate:'")
    if not isinstance(candidate.get("sdpMid"), str | None) or not isinstance(
        candidate.get("sdpMLineIndex"), int | None
    ):
        raise CallError("bad_request", "'sdpMid' must be a string and 'sdpMLineIndex' a number")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names: dict[Any, str] = {str: "a string", bool: "true or false", dict: "an object"}
    return names.get(kind, str(kind))


# --- answers and events ---------------------------------------------------


def ack(request_id: str | None, **result: Any) -> dict[str, Any]:
    return {"type": "ack", "id": request_id, **result}


def error(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "code": code, "message": message}


# An event as it goes on the wire: {"type": "call.state", "call_id": ..., ...}.
Event = dict[str, Any]


def state(call_id: uuid.UUID, new: str, previous: str | None, reason: str = "") -> Event:
    event: Event = {
        "type": "call.state",
        "call_id": str(call_id),
        "state": new,
        "previous": previous,
    }
    if reason:
        event["reason"] = reason
    return event


def op_result(call_id: uuid.UUID, op: str, ok: bool, code: str = "", message: str = "") -> dict:
    event: dict[str, Any] = {"type": "op.result", "call_id": str(call_id), "op": op, "ok": ok}
    if not ok:
        event["code"] = code
        event["message"] = message
    return event


def offer(call_id: uuid.UUID, op: str, sdp: str) -> dict[str, Any]:
    return {"type": "call.offer", "call_id": str(call_id), "op": op, "sdp": sdp}


def answer(call_id: uuid.UUID, sdp: str) -> dict[str, Any]:
    return {"type": "call.answer", "call_id": str(call_id), "sdp": sdp}


def candidate(call_id: uuid.UUID, value: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "ice.candidate", "call_id": str(call_id), "candidate": value}


def media(call_id: uuid.UUID, muted: bool, video: bool, connection: str = "") -> dict[str, Any]:
    """What the other party sends; ``connection`` only when its signaling dropped or came back."""
    event = {"type": "call.media", "call_id": str(call_id), "muted": muted, "video": video}
    if connection:
        event["connection"] = connection
    return event


def queue_position(call_id: uuid.UUID, position: dict[str, int]) -> dict[str, Any]:
    return {"type": "queue.position", "call_id": str(call_id), **position}


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
    ice_servers: list[dict[str, Any]],
    presence: str | None = None,
) -> Event:
    """The answer to a good ``auth``; an agent's carries the presence it chose."""
    event: Event = {
        "type": "hello",
        "protocol": 1,
        "role": role,
        "identity": identity,
        "resume_token": resume_token,
        "resume_grace": resume_grace,
        "ping_interval": ping_interval,
        "ice_servers": ice_servers,
    }
    if presence is not None:
        event["presence"] = presence
    return event
