"""The ``data`` of each webhook event: a call as its receivers see it, and a callback request.

docs/webhooks.md documents every field; change both together.
"""

from __future__ import annotations

from typing import Any

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.machine import LegStatus
from supportcall.calls.models import Call
from supportcall.quality.summary import summarize


def _when(value) -> str | None:
    return value.isoformat() if value else None


def call(row: Call) -> dict[str, Any]:
    """What every call event carries: the call's parties, where it is and its times."""
    agent = row.agent
    return {
        "id": str(row.id),
        "site": row.site.key if row.site else None,
        "to": row.target,
        "queue": row.queue.address if row.queue else None,
        "media": row.media,
        "phase": row.phase,
        "caller": {
            "identity": row.caller_identity,
            "display_name": row.caller_display_name,
            "context": row.caller_context,
            "verified": row.caller_verified,
        },
        "agent": {"address": agent.address, "name": agent.name} if agent else None,
        "created": _when(row.created),
        "answered": _when(row.answered),
        "ended": _when(row.ended),
    }


def ringing(row: Call) -> dict[str, Any]:
    agents = row.legs.filter(status=LegStatus.RINGING).select_related("agent__user")
    return {"call": call(row), "ringing": [leg.agent.address for leg in agents]}


def ended(row: Call) -> dict[str, Any]:
    """The call's whole record as it ended: outcome, after-call work so far, quality."""
    duration = (row.ended - row.answered).total_seconds() if row.ended and row.answered else None
    return {
        "call": call(row),
        "end_reason": row.end_reason,
        "ended_by": row.ended_by,
        "talk_seconds": round(duration, 3) if duration is not None else None,
        "wait_seconds": round(((row.answered or row.ended) - row.created).total_seconds(), 3)
        if row.ended
        else None,
        "disposition": row.disposition.label if row.disposition else None,
        "notes": row.notes,
        "rating": rating(row),
        "quality": summarize(row.id),
    }


def rating(row: Call) -> dict[str, Any] | None:
    """The visitor's rating of the call, if it rated it."""
    if row.rating is None:
        return None
    return {"stars": row.rating, "comment": row.rating_comment, "rated": _when(row.rated_at)}


def callback(request: CallbackRequest) -> dict[str, Any]:
    return {"callback": request.as_json()}
