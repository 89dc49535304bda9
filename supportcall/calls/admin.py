"""The call record in the admin: what happened, in words, before the raw data.

A call's page starts with its timeline (each ``CallEvent`` as a sentence: when,
who, what), then the call as the caller saw it, its legs (who was rung, how it
ended for them), and only then, folded away, the SDP and the routing state.
Everything is read-only: the record is the server's, and editing it by hand
would lie about what happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from supportcall.calls.change import SYSTEM
from supportcall.vocabulary import Reason

from .models import Call, CallEvent, Connection, Leg

# How a call ended, as the caller saw it (the record keeps the caller's reason).
CALL_ENDED = {
    "ended_by_local": "The caller hung up",
    "ended_by_remote": "The agent hung up",
    "rejected": "Declined by the agent",
    "ignored": "Ignored by the agent",
    "no_answer": "Nobody answered in time",
    "no_agents": "No agent could take it",
    "answered_elsewhere": "Answered by another agent",
    "cancelled": "The caller hung up before an answer",
    "forwarded": "Forwarded",
    "connection_lost": "A connection was lost",
    "media_failed": "A network blocked the media (no ICE path, or TURN refused)",
    "error": "Failed on the server",
}

# How a leg (one agent rung) ended, as that agent saw it.
LEG_ENDED = {
    "ended_by_local": "The agent hung up",
    "ended_by_remote": "The caller hung up",
    "rejected": "Declined",
    "ignored": "Ignored",
    "no_answer": "Rang out",
    "no_agents": "No agent could take it",
    "answered_elsewhere": "Answered by another agent",
    "cancelled": "The caller hung up before an answer",
    "forwarded": "Forwarded elsewhere",
    "connection_lost": "The agent's connection was lost",
    "media_failed": "A network blocked the media (no ICE path, or TURN refused)",
    "error": "Failed on the server",
}

# What an event's name says, with its detail's fields ({to}, {agents}, ...) filled in.
EVENT_WORDS = {
    "create": "called {to} ({media})",
    "ring": "rang {agents}",
    "queued": "waits in the queue: nobody free",
    "accept": "answered",
    "reject": "declined",
    "ignore": "ignored the call (it rings on for others)",
    "forward": "forwarded the call to {to}",
    "end": "hung up",
    "hold": "put the call on hold",
    "unhold": "resumed the call",
    "mute": "muted",
    "unmute": "unmuted",
    "video_start": "started video",
    "video_stop": "stopped video",
    "restart_media": "restarted the media (a network change)",
    "answer": "answered the re-offer ({op})",
    "ring_timeout": "{agent} let it ring out ({rung_s} s)",
    "agent_away": "{agent} was set away: {why}",
    "connection_dropped": "the connection dropped",
    "connection_back": "the connection came back",
    "resumed": "resumed the connection",
    "timeout": "the {op} got no answer in time",
}


# Routing decisions are the server's, whichever request led to them.
ROUTING = {"ring", "queued", "ring_timeout", "agent_away", *CALL_ENDED}


def _who(event: CallEvent, call: Call) -> str:
    if event.actor == SYSTEM or event.name in ROUTING:
        return "the server"
    if event.actor == call.caller_identity:
        return "the caller"
    return event.actor


def _said(event: CallEvent) -> str:
    """The event as a sentence; the names it does not know say their name and detail."""
    detail: dict[str, Any] = {k: v for k, v in (event.detail or {}).items()}
    if isinstance(detail.get("agents"), list):
        detail["agents"] = ", ".join(detail["agents"]) or "nobody"
    words = EVENT_WORDS.get(event.name)
    if words is None:
        ended = CALL_ENDED.get(event.name)
        text = f"the call ended: {ended}" if ended else event.name.replace("_", " ")
        if detail.get("why"):
            text += f" ({detail['why']})"
        return text
    try:
        text = words.format(**detail)
    except (KeyError, IndexError):
        text = words.split(" {")[0]
    if event.name == "end" and detail.get("reason") == Reason.MEDIA_FAILED:
        text = "hung up: the media could not connect (a network or the TURN relay blocks it)"
    if event.name == "accept":
        text += " with video" if detail.get("video") else " with audio"
        if detail.get("waited_s") is not None:
            text += f" after {detail['waited_s']} s"
    return text


def _skipped(event: CallEvent) -> str:
    """Who was not rung, and why: "bob: away; carol: offline"."""
    skipped = (event.detail or {}).get("skipped") or {}
    return "; ".join(f"{who}: {why}" for who, why in skipped.items())


def _clock(moment: datetime | None, start: datetime) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%H:%M:%S} (+{(moment - start).total_seconds():.1f} s)"


class LegInline(admin.TabularInline):
    """Who was rung for the call, and how it ended for each: history, so read-only."""

    model = Leg
    extra = 0
    can_delete = False
    fields = ("agent", "status", "how", "started", "until")
    readonly_fields = ("agent", "status", "how", "started", "until")
    verbose_name = "agent rung"
    verbose_name_plural = "agents rung"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="how it ended")
    def how(self, leg: Leg) -> str:
        if leg.reason:
            return LEG_ENDED.get(leg.reason, leg.reason)
        if leg.status == "answered":
            return "Answered" + (
                "; " + CALL_ENDED.get(leg.call.end_reason, "") if leg.call.ended else ""
            )
        return "Ringing" if leg.status == "ringing" else "—"

    @admin.display(description="until")
    def until(self, leg: Leg) -> datetime | str:
        """When the leg ended: an answered leg lasts as long as the call."""
        if leg.ended:
            return leg.ended
        if leg.status == "answered" and leg.call.ended:
            return leg.call.ended
        if leg.status == "ringing" and leg.deadline:
            return f"rings until {timezone.localtime(leg.deadline):%H:%M:%S}"
        return "—"


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "caller_display_name",
        "target",
        "media",
        "agent",
        "phase",
        "how_it_ended",
        "duration",
    ]
    list_filter = ["phase", "media", "end_reason", "site", "queue"]
    search_fields = ["caller_identity", "caller_display_name", "target", "id"]
    date_hierarchy = "created"
    inlines = [LegInline]
    fieldsets = [
        ("What happened", {"fields": ["timeline"]}),
        (
            "The call",
            {
                "fields": [
                    ("caller_display_name", "caller_identity"),
                    ("site", "target", "queue"),
                    ("media", "agent", "phase"),
                    ("created", "answered", "ended"),
                    ("how_it_ended", "ended_by", "duration"),
                    "caller_context",
                ]
            },
        ),
        (
            "Media (SDP and ICE)",
            {
                "classes": ["collapse"],
                "fields": ["offer_sdp", "answer_sdp", "caller_candidates", "op_sdp"],
            },
        ),
        (
            "Routing and connections (the server's working state)",
            {
                "classes": ["collapse"],
                "fields": [
                    ("op", "op_by", "op_deadline"),
                    ("ring_deadline", "queued_at", "wait_deadline"),
                    "position",
                    ("held_by_caller", "held_by_agent"),
                    ("caller_muted", "agent_muted"),
                    ("caller_video", "agent_video"),
                    ("caller_channel", "agent_channel"),
                    "id",
                ],
            },
        ),
    ]

    class Media:
        css = {"all": ["supportcall/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        # The record is the server's; editing it by hand would lie about what happened.
        return [f.name for f in Call._meta.fields] + ["timeline", "how_it_ended", "duration"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="how it ended")
    def how_it_ended(self, call: Call) -> str:
        if not call.end_reason:
            return "In progress" if call.phase != "ended" else "—"
        return CALL_ENDED.get(call.end_reason, call.end_reason)

    @admin.display(description="duration")
    def duration(self, call: Call) -> str:
        if call.answered and call.ended:
            seconds = int((call.ended - call.answered).total_seconds())
            return f"{seconds // 60}:{seconds % 60:02d}"
        return "—"

    @admin.display(description="timeline")
    def timeline(self, call: Call) -> str:
        events = list(call.events.order_by("at", "pk"))
        if not events:
            return "—"
        rows = (
            (
                _clock(e.at, call.created),
                _who(e, call),
                _said(e),
                _skipped(e) and f"Not rung: {_skipped(e)}",
                f"{e.phase_before} → {e.phase_after}" if e.phase_before != e.phase_after else "",
            )
            for e in events
        )
        items = format_html_join(
            "",
            '<li class="sc-event"><time>{}</time> <strong>{}</strong> {}'
            '<span class="sc-why">{}</span><span class="sc-phase">{}</span></li>',
            rows,
        )
        return format_html('<ol class="sc-timeline" data-testid="timeline">{}</ol>', items)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["identity", "role", "channel_name", "opened", "process", "grace_until"]
    list_filter = ["role"]
