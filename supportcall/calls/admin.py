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
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportcall.api import export
from supportcall.api.serializers import CallSummary
from supportcall.calls.change import SYSTEM
from supportcall.precall import words as precall_words
from supportcall.quality import summary as quality
from supportcall.vocabulary import Reason

from . import files
from .machine import Party
from .models import Call, CallEvent, ChatFile, ChatMessage, Connection, Disposition, Leg

PARTY_NAMES = {"caller": _("the caller"), "agent": _("the agent")}

# How a call ended, as the caller saw it (the record keeps the caller's reason).
CALL_ENDED = {
    "ended_by_local": _("The caller hung up"),
    "ended_by_remote": _("The agent hung up"),
    "rejected": _("Declined by the agent"),
    "ignored": _("Ignored by the agent"),
    "no_answer": _("Nobody answered in time"),
    "no_agents": _("No agent could take it"),
    "answered_elsewhere": _("Answered by another agent"),
    "cancelled": _("The caller hung up before an answer"),
    "forwarded": _("Forwarded"),
    "connection_lost": _("A connection was lost"),
    "media_failed": _("A network blocked the media (no ICE path, or TURN refused)"),
    "error": _("Failed on the server"),
}

# How a leg (one agent rung) ended, as that agent saw it.
LEG_ENDED = {
    "ended_by_local": _("The agent hung up"),
    "ended_by_remote": _("The caller hung up"),
    "rejected": _("Declined"),
    "ignored": _("Ignored"),
    "no_answer": _("Rang out"),
    "no_agents": _("No agent could take it"),
    "answered_elsewhere": _("Answered by another agent"),
    "cancelled": _("The caller hung up before an answer"),
    "forwarded": _("Forwarded elsewhere"),
    "connection_lost": _("The agent's connection was lost"),
    "media_failed": _("A network blocked the media (no ICE path, or TURN refused)"),
    "error": _("Failed on the server"),
}

# What an event's name says, with its detail's fields ({to}, {agents}, ...) filled in.
EVENT_WORDS = {
    "create": _("called {to} ({media})"),
    "ring": _("rang {agents}"),
    "queued": _("waits in the queue: nobody free"),
    "accept": _("answered"),
    "reject": _("declined"),
    "ignore": _("ignored the call (it rings on for others)"),
    "forward": _("forwarded the call to {to}"),
    "end": _("hung up"),
    "hold": _("put the call on hold"),
    "unhold": _("resumed the call"),
    "mute": _("muted"),
    "unmute": _("unmuted"),
    "video_start": _("started video"),
    "video_stop": _("stopped video"),
    "restart_media": _("restarted the media (a network change)"),
    "screen_start": _("began sharing the screen"),
    "screen_stop": _("stopped sharing the screen"),
    "screen_ask": _("asked to see the visitor's screen"),
    "screen_ask_stop": _("asked the visitor to stop sharing the screen"),
    "screen_declined": _("did not share the screen ({reason})"),
    "answer": _("answered the re-offer ({op})"),
    "ring_timeout": _("{agent} let it ring out ({rung_s} s)"),
    "agent_away": _("{agent} was set away: {why}"),
    "wrap_up": _("{agent} began the after-call work"),
    "wrap_up_end": _("{agent} ended the after-call work ({how})"),
    "connection_dropped": _("the connection dropped"),
    "connection_back": _("the connection came back"),
    "resumed": _("resumed the connection"),
    "timeout": _("the {op} got no answer in time"),
}


# Routing decisions are the server's, whichever request led to them.
ROUTING = {"ring", "queued", "ring_timeout", "agent_away", *CALL_ENDED}


def _who(event: CallEvent, call: Call) -> str:
    if event.actor == SYSTEM or event.name in ROUTING:
        return gettext("the server")
    if event.actor == call.caller_identity:
        return gettext("the caller")
    return event.actor


def _said(event: CallEvent) -> str:
    """The event as a sentence; the names it does not know say their name and detail."""
    detail: dict[str, Any] = {k: v for k, v in (event.detail or {}).items()}
    if isinstance(detail.get("agents"), list):
        detail["agents"] = ", ".join(detail["agents"]) or gettext("nobody")
    words = EVENT_WORDS.get(event.name)
    if words is None:
        ended = CALL_ENDED.get(event.name)
        text = (
            gettext("the call ended: %(how)s") % {"how": ended}
            if ended
            else event.name.replace("_", " ")
        )
        if detail.get("why"):
            text += f" ({detail['why']})"
        return text
    try:
        text = words.format(**detail)
    except (KeyError, IndexError):
        text = words.split(" {")[0]
    if event.name == "end" and detail.get("reason") == Reason.MEDIA_FAILED:
        text = gettext(
            "hung up: the media could not connect (a network or the TURN relay blocks it)"
        )
    if event.name == "accept":
        text += gettext(" with video") if detail.get("video") else gettext(" with audio")
        if detail.get("waited_s") is not None:
            text += gettext(" after %(s)s s") % {"s": detail["waited_s"]}
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
    verbose_name = _("agent rung")
    verbose_name_plural = _("agents rung")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("how it ended"))
    def how(self, leg: Leg) -> str:
        if leg.reason:
            return str(LEG_ENDED.get(leg.reason, leg.reason))
        if leg.status == "answered":
            return gettext("Answered") + (
                "; " + str(CALL_ENDED.get(leg.call.end_reason, "")) if leg.call.ended else ""
            )
        return gettext("Ringing") if leg.status == "ringing" else "—"

    @admin.display(description=_("until"))
    def until(self, leg: Leg) -> datetime | str:
        """When the leg ended: an answered leg lasts as long as the call."""
        if leg.ended:
            return leg.ended
        if leg.status == "answered" and leg.call.ended:
            return leg.call.ended
        if leg.status == "ringing" and leg.deadline:
            return gettext("rings until %(time)s") % {
                "time": f"{timezone.localtime(leg.deadline):%H:%M:%S}"
            }
        return "—"


class ChatInline(admin.TabularInline):
    """The chat between the parties, in the order they saw it: history, so read-only.
    The admin escapes the text: HTML a party typed shows as text."""

    model = ChatMessage
    extra = 0
    can_delete = False
    fields = ("seq", "sent", "sender", "display_name", "text")
    readonly_fields = fields
    ordering = ("seq",)
    verbose_name = _("chat message")
    verbose_name_plural = _("chat")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class FileInline(admin.TabularInline):
    """The files sent in the chat: history, read-only; each opens for staff."""

    model = ChatFile
    extra = 0
    can_delete = False
    fields = ("created", "sender", "download", "content_type", "size")
    readonly_fields = fields
    verbose_name = _("file")
    verbose_name_plural = _("files")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("name"))
    def download(self, shared: ChatFile) -> str:
        return format_html('<a href="{}">{}</a>', files.link(shared, Party.AGENT), shared.name)


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
        "rating",
    ]
    list_filter = ["phase", "media", "end_reason", "site", "queue", "rating"]
    search_fields = ["caller_identity", "caller_display_name", "target", "id"]
    date_hierarchy = "created"
    inlines = [LegInline, ChatInline, FileInline]
    actions = [export.action(CallSummary, "calls")]
    fieldsets = [
        (_("What happened"), {"fields": ["timeline"]}),
        (
            _("The call"),
            {
                "fields": [
                    ("caller_display_name", "caller_identity"),
                    ("site", "target", "queue"),
                    ("media", "agent", "phase"),
                    ("created", "answered", "ended"),
                    ("how_it_ended", "ended_by", "duration"),
                    ("disposition", "wrap_up_ended"),
                    "notes",
                    ("rating", "rated_at"),
                    "rating_comment",
                    "caller_context",
                    "caller_verified",
                    "check_before_the_call",
                ]
            },
        ),
        (_("Quality"), {"fields": ["quality_summary", "quality_chart"]}),
        (
            _("Media (SDP and ICE)"),
            {
                "classes": ["collapse"],
                "fields": ["offer_sdp", "answer_sdp", "caller_candidates", "op_sdp"],
            },
        ),
        (
            _("Routing and connections (the server's working state)"),
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
        return [f.name for f in Call._meta.fields] + [
            "timeline",
            "how_it_ended",
            "duration",
            "quality_summary",
            "quality_chart",
            "check_before_the_call",
        ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("how it ended"))
    def how_it_ended(self, call: Call) -> str:
        if not call.end_reason:
            return gettext("In progress") if call.phase != "ended" else "—"
        return str(CALL_ENDED.get(call.end_reason, call.end_reason))

    @admin.display(description=_("check before the call"))
    def check_before_the_call(self, call: Call) -> str:
        check = call.caller_check
        if not check:
            return gettext("The caller did not check before calling")
        words = [str(precall_words.SAYS.get(check.get("verdict"), check.get("verdict")))]
        if check.get("candidate_type"):
            words.append(gettext("path: %(type)s") % {"type": check["candidate_type"]})
        if check.get("rtt_ms") is not None:
            words.append(gettext("round trip %(ms)d ms") % {"ms": round(check["rtt_ms"])})
        if check.get("loss_pct") is not None:
            words.append(gettext("loss %(pct)s %%") % {"pct": f"{check['loss_pct']:g}"})
        return "; ".join(words)

    @admin.display(description=_("duration"))
    def duration(self, call: Call) -> str:
        if call.answered and call.ended:
            seconds = int((call.ended - call.answered).total_seconds())
            return f"{seconds // 60}:{seconds % 60:02d}"
        return "—"

    @admin.display(description=_("timeline"))
    def timeline(self, call: Call) -> str:
        events = list(call.events.order_by("at", "pk"))
        if not events:
            return "—"
        rows = (
            (
                _clock(e.at, call.created),
                _who(e, call),
                _said(e),
                _skipped(e) and gettext("Not rung: %(who)s") % {"who": _skipped(e)},
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

    @admin.display(description=_("quality"))
    def quality_summary(self, call: Call) -> str:
        summary = quality.summarize(call.pk)
        if not summary:
            return gettext("No quality reports")
        rows = (
            (
                PARTY_NAMES[party],
                f"{each['mos_avg']:.2f}",
                f"{each['mos_min']:.2f}",
                _number(each["loss_avg"], "%"),
                _number(each["loss_max"], "%"),
                _number(each["rtt_avg"], " ms"),
                _number(each["rtt_max"], " ms"),
                gettext("through the relay") if each["path"] == "relay" else gettext("direct"),
                each["reports"],
            )
            for party, each in sorted(summary.items())
        )
        head = [
            gettext("measured by"),
            gettext("MOS, average"),
            gettext("MOS, worst"),
            gettext("loss, average"),
            gettext("loss, worst"),
            gettext("round trip, average"),
            gettext("round trip, worst"),
            gettext("media path"),
            gettext("reports"),
        ]
        return format_html(
            '<table class="sc-quality" data-testid="quality-summary"><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join("", "<th>{}</th>", ((h,) for h in head)),
            format_html_join("", "<tr>" + "<td>{}</td>" * len(head) + "</tr>", rows),
        )

    @admin.display(description=_("quality over the call"))
    def quality_chart(self, call: Call) -> str:
        geometry = quality.chart(call.pk)
        if geometry is None:
            return "—"
        labels = {
            "caller": gettext("The caller's reports"),
            "agent": gettext("The agent's reports"),
        }
        for line in geometry["lines"]:
            line["label"] = labels[line["party"]]
        title = gettext("Each party's MOS over the call (%(minutes)s min), from 1 to 4.5")
        return render_to_string(
            "quality/chart.svg", {**geometry, "title": title % {"minutes": geometry["minutes"]}}
        )


def _number(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:g}{unit}"


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["identity", "role", "channel_name", "opened", "process", "grace_until"]
    list_filter = ["role"]


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = ["label", "queue", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active", "queue"]
