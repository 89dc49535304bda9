"""What the API says of a call and of a callback request (docs/api.md documents each field).

``CallSummary`` is a call in the list, and the CSV export's columns; ``CallDetail``
adds the caller's context, the legs, the timeline, the chat and the quality.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.models import Call, CallEvent, ChatFile, ChatMessage, Leg
from supportcall.quality.models import Sample
from supportcall.quality.summary import summarize

SECONDS = serializers.FloatField(allow_null=True)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


class Agent(serializers.Serializer):
    address = serializers.CharField()
    name = serializers.CharField()


class Caller(serializers.Serializer):
    identity = serializers.CharField(source="caller_identity")
    display_name = serializers.CharField(source="caller_display_name")


class CallerDetail(Caller):
    # A field named like Serializer.context, which DRF's metaclass moves out of the way.
    context = serializers.JSONField(source="caller_context")  # type: ignore[assignment]
    verified = serializers.JSONField(
        source="caller_verified",
        allow_null=True,
        help_text="What the site's backend signed (sub, name, email, attributes), or null.",
    )


class CallSummary(serializers.ModelSerializer):
    related = ("site", "queue", "agent__user", "disposition")  # what it reads, in one query

    site = serializers.CharField(source="site.key")
    to = serializers.CharField(source="target")
    queue = serializers.CharField(source="queue.address", allow_null=True, default=None)
    status = serializers.CharField(source="phase", help_text="The call's phase now.")
    caller = Caller(source="*")
    agent = Agent(allow_null=True, help_text="The agent who answered, or null.")
    outcome = serializers.CharField(
        source="end_reason", help_text="How the call ended for the caller; empty until it ends."
    )
    disposition = serializers.CharField(source="disposition.label", allow_null=True, default=None)
    wait_seconds = serializers.SerializerMethodField()
    talk_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id",
            "site",
            "to",
            "queue",
            "media",
            "status",
            "caller",
            "agent",
            "created",
            "answered",
            "ended",
            "outcome",
            "ended_by",
            "disposition",
            "wait_seconds",
            "talk_seconds",
        ]

    @extend_schema_field(SECONDS)
    def get_wait_seconds(self, call: Call) -> float | None:
        """From the call to its answer, or to its end if nobody answered."""
        return _seconds(call.created, call.answered or call.ended)

    @extend_schema_field(SECONDS)
    def get_talk_seconds(self, call: Call) -> float | None:
        return _seconds(call.answered, call.ended)


class LegOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.address")

    class Meta:
        model = Leg
        fields = ["agent", "status", "reason", "started", "ended"]


class EventOut(serializers.ModelSerializer):
    detail = serializers.JSONField()

    class Meta:
        model = CallEvent
        fields = ["at", "actor", "name", "phase_before", "phase_after", "detail"]


class ChatOut(serializers.ModelSerializer):
    class Meta:
        model = ChatMessage
        fields = ["seq", "sender", "display_name", "text", "sent"]


class SampleOut(serializers.ModelSerializer):
    warnings = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Sample
        fields = [
            "party",
            "at",
            "mos",
            "rtt_ms",
            "jitter_ms",
            "loss_pct",
            "bitrate_in_kbps",
            "bitrate_out_kbps",
            "codec",
            "candidate",
            "warnings",
        ]


class PartyQuality(serializers.Serializer):
    reports = serializers.IntegerField()
    mos_avg = serializers.FloatField()
    mos_min = serializers.FloatField()
    loss_avg = serializers.FloatField(allow_null=True)
    loss_max = serializers.FloatField(allow_null=True)
    rtt_avg = serializers.FloatField(allow_null=True)
    rtt_max = serializers.FloatField(allow_null=True)
    path = serializers.ChoiceField(choices=["direct", "relay"])


class QualitySummary(serializers.Serializer):
    caller = PartyQuality(required=False, help_text="Absent: the caller sent no reports.")
    agent = PartyQuality(required=False, help_text="Absent: the agent sent no reports.")


class Quality(serializers.Serializer):
    summary = QualitySummary()
    samples = SampleOut(many=True)


class FileOut(serializers.ModelSerializer):
    seq = serializers.IntegerField(
        source="message.seq", allow_null=True, default=None, help_text="Its place in the chat."
    )

    class Meta:
        model = ChatFile
        fields = ["seq", "sender", "name", "size", "content_type", "created"]


class Rating(serializers.Serializer):
    stars = serializers.IntegerField(source="rating", min_value=1, max_value=5)
    comment = serializers.CharField(source="rating_comment")
    rated = serializers.DateTimeField(source="rated_at")


class CallDetail(CallSummary):
    caller = CallerDetail(source="*")
    notes = serializers.CharField()
    wrap_up_ended = serializers.DateTimeField(allow_null=True)
    legs = LegOut(many=True, help_text="Every agent rung, and how that ended for them.")
    timeline = EventOut(many=True, source="events", help_text="Everything that happened.")
    chat = ChatOut(many=True)
    quality = serializers.SerializerMethodField()
    files = FileOut(many=True, help_text="The files sent in the chat (not their bytes).")
    rating = serializers.SerializerMethodField()

    class Meta(CallSummary.Meta):
        fields = [
            *CallSummary.Meta.fields,
            "notes",
            "wrap_up_ended",
            "legs",
            "timeline",
            "chat",
            "files",
            "quality",
            "rating",
        ]

    @extend_schema_field(Rating(allow_null=True))
    def get_rating(self, call: Call) -> dict[str, Any] | None:
        """The visitor's rating after the call, or null (not rated, or not yet)."""
        return Rating(call).data if call.rating is not None else None

    @extend_schema_field(Quality)
    def get_quality(self, call: Call) -> dict[str, Any]:
        """Each party's summary, and every report in the order they came."""
        samples = call.quality.order_by("at", "pk")
        return Quality({"summary": summarize(call.pk), "samples": samples}).data


class CallbackOut(serializers.ModelSerializer):
    related = ("site", "queue", "claimed_by__user")

    site = serializers.CharField(source="site.key")
    queue = serializers.CharField(source="queue.address", allow_null=True, default=None)
    missed_call = serializers.UUIDField(source="call_id", allow_null=True)
    claimed_by = serializers.CharField(source="claimed_by.address", allow_null=True, default=None)
    context = serializers.JSONField()  # type: ignore[assignment]  # as in CallerDetail

    class Meta:
        model = CallbackRequest
        fields = [
            "id",
            "site",
            "queue",
            "missed_call",
            "name",
            "phone",
            "email",
            "note",
            "context",
            "status",
            "claimed_by",
            "created",
            "claimed",
            "done",
        ]
