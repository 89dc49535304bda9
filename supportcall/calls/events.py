"""The server's events, as they go on the wire (``docs/protocol.md``).

Services build the events they deliver with these, from the machine's
effects and the call's rows.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .machine import Party
    from .models import Call, ChatMessage

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


def resumed(
    state_event: Event, operation: tuple[str, bool] | None = None, answer_sdp: str = ""
) -> Event:
    """A ``call.state`` replayed to a party that resumed: with the operation in progress
    (``(op, started by this party)``) and, for an answered caller, the answer's SDP."""
    event = {**state_event, "resumed": True}
    if operation is not None:
        op, mine = operation
        event["operation"] = {"op": op, "by": "local" if mine else "remote"}
    if answer_sdp:
        event["answer_sdp"] = answer_sdp
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


def screen(call_id: uuid.UUID, sharing: bool, mid: str) -> Event:
    """To the agent: whether the visitor shares its screen now, on the m-line ``mid``."""
    return {"type": "call.screen", "call_id": str(call_id), "sharing": sharing, "mid": mid}


def screen_ask(call_id: uuid.UUID, stop: bool = False) -> Event:
    """To the visitor: the agent asks to see its screen (``screen.stop_request``: to stop)."""
    return {"type": "screen.stop_request" if stop else "screen.asked", "call_id": str(call_id)}


def screen_declined(call_id: uuid.UUID, reason: str) -> Event:
    """To the agent: the visitor did not share its screen, and why."""
    return {"type": "screen.declined", "call_id": str(call_id), "reason": reason}


def queue_position(call_id: uuid.UUID, position: dict[str, int]) -> dict[str, Any]:
    return {"type": "queue.position", "call_id": str(call_id), **position}


def queue_waiting(queue: str, waiting: int, longest_wait_s: int) -> dict[str, Any]:
    """To a queue's agents: how many callers wait, and how long the first has waited."""
    return {
        "type": "queue.waiting",
        "queue": queue,
        "waiting": waiting,
        "longest_wait_s": longest_wait_s,
    }


def targets_changed() -> Event:
    """To the connections watching the forward and transfer lists: who is free may have
    changed, reload them (``GET /agent/targets.json``)."""
    return {"type": "targets.changed"}


def presence(status: str, reason: str = "", away_reason: str = "") -> dict[str, Any]:
    """An agent's chosen presence, to all its tabs; ``reason`` when the server changed it;
    ``away_reason``: the label of the away reason the agent chose."""
    event: dict[str, Any] = {"type": "presence", "status": status}
    if reason:
        event["reason"] = reason
    if away_reason:
        event["away_reason"] = away_reason
    return event


def incoming(row: Call, to: str | None = None) -> dict[str, Any]:
    """The alert of an agent rung for ``row``: who calls, what was called, the offer."""
    return {
        "type": "call.incoming",
        "call_id": str(row.id),
        "from": {
            "address": row.caller_identity,
            "display_name": row.caller_display_name,
            "anonymous": row.caller_agent_id is None,  # else a colleague calls
            "context": row.caller_context,
            "verified": row.caller_verified,
            "check": row.caller_check,
        },
        "to": to or row.target,
        "media": row.media,
        "sdp": row.offer_sdp,
        **_transfer(row),
        **_consult(row),
    }


def _consult(row: Call) -> dict[str, Any]:
    """A consult call's alert says which call the colleague is consulted about."""
    held = row.consult_of
    if held is None:
        return {}
    caller = {"address": held.caller_identity, "display_name": held.caller_display_name}
    return {"consult_of": {"call_id": str(held.id), "from": caller, "context": held.caller_context}}


def _transfer(row: Call) -> dict[str, Any]:
    """A transferred call's alert says who handed it on and the notes so far."""
    if not row.transfer_stage or row.transferred_by is None:
        return {}
    by = row.transferred_by
    return {
        "transferred_by": {"address": by.address, "display_name": by.name},
        "notes": row.notes,
        "returned": row.transfer_stage == "back",
        "consulted": row.transfer_warm,  # a consult's completion: answer it at once
    }


def transferring(call_id: uuid.UUID, to: str, display_name: str) -> dict[str, Any]:
    """To the caller of a call being transferred: to whom (it waits meanwhile)."""
    return {
        "type": "call.transferring",
        "call_id": str(call_id),
        "to": to,
        "display_name": display_name,
    }


def reoffer(call_id: uuid.UUID, kind: str) -> dict[str, Any]:
    """The server asks the caller for a fresh offer (``call.fresh_offer``), from a fresh
    peer connection: its first offer is stale once answered (``kind``: why, ``transfer``)."""
    return {"type": "call.reoffer", "call_id": str(call_id), "kind": kind}


def quality(call_id: uuid.UUID, side: str, sample: Any, level: str) -> Event:
    """A party's quality as the server judged its latest report (``quality.models.Sample``):
    ``local`` to the party that measured it, ``remote`` to the other."""
    return {
        "type": "call.quality",
        "call_id": str(call_id),
        "side": side,
        "mos": sample.mos,
        "level": level,
        "warnings": list(sample.warnings),
        "candidate_type": sample.candidate or None,
    }


def chat_message(message: ChatMessage, party: Party | None = None) -> dict[str, Any]:
    """A chat message, to both parties (the sender's own connection too: one order for all).
    A file's message carries ``file``, its link for ``party`` (each party gets its own)."""
    event: dict[str, Any] = {
        "type": "chat.message",
        "call_id": str(message.call_id),
        "seq": message.seq,
        "sender": message.sender,
        "display_name": message.display_name,
        "text": message.text,
        "sent": message.sent.isoformat(),
    }
    if message.client_id:
        event["client_id"] = message.client_id
    if party is not None:
        from . import files  # files builds on chat, which builds on events

        if message.is_file:  # None once retention deleted the file
            shared = files.of_message(message)
            event["file"] = files.described(shared, party) if shared else None
    return event


def chat_typing(call_id: uuid.UUID | str, typing: bool) -> dict[str, Any]:
    return {"type": "chat.typing", "call_id": str(call_id), "typing": typing}
