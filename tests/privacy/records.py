"""Call records with everything retention and erasure deal with, made straight in the
database (no sockets: these tests are about rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from supportcall.calls.models import Call, CallEvent, ChatMessage
from supportcall.directory.models import Agent, Queue, Site
from supportcall.quality.models import Sample
from tests.support.sdps import ANSWER, OFFER

VISITOR = "anonymous-ann@support.example.com"
OTHER = "anonymous-bob@support.example.com"


def a_call(
    ended_days_ago: float | None,
    identity: str = VISITOR,
    verified: dict | None = None,
    site: str = "shop",
    now: datetime | None = None,
) -> Call:
    """An answered call of 60 s that ended that many days ago (None: still going), with
    a chat message, a quality sample and the caller's events."""
    now = now or timezone.now()
    ended = None if ended_days_ago is None else now - timedelta(days=ended_days_ago)
    created = (ended or now) - timedelta(seconds=65)
    queue = Queue.objects.get(name="support")
    call = Call.objects.create(
        site=Site.objects.get(key=site),
        target=queue.address,
        queue=queue,
        agent=Agent.objects.get(user__username="alice"),
        media="audio",
        phase="answered" if ended is None else "ended",
        caller_identity=identity,
        caller_display_name="Ann",
        caller_context={"page": "/cart"},
        caller_verified=verified,
        offer_sdp=OFFER["audio"],
        answer_sdp=ANSWER["audio"],
        caller_candidates=[{"candidate": "candidate:1 1 udp 1 192.0.2.7 5000 typ host"}],
        answered=created + timedelta(seconds=5),
        ended=ended,
        ended_by="" if ended is None else "caller",
        end_reason="" if ended is None else "ended_by_local",
    )
    Call.objects.filter(pk=call.pk).update(created=created)
    ChatMessage.objects.create(
        call=call,
        seq=1,
        sender="caller",
        display_name="Ann",
        text="my card ends 1234",
        sent=created,
    )
    Sample.objects.create(call=call, party="caller", at=created, mos=4.2)
    CallEvent.objects.create(call=call, actor=identity, name="create", phase_after="queued")
    CallEvent.objects.create(call=call, actor="system", name="ring", phase_after="ringing")
    call.refresh_from_db()
    return call


def personal(call: Call) -> dict:
    """What a call's row and its children hold about its caller."""
    call.refresh_from_db()
    return {
        "identity": call.caller_identity,
        "name": call.caller_display_name,
        "context": call.caller_context,
        "verified": call.caller_verified,
        "sdp": bool(call.offer_sdp or call.answer_sdp or call.caller_candidates),
        "chat": call.chat.count(),
        "quality": call.quality.count(),
        "actors": sorted(call.events.values_list("actor", flat=True)),
    }


def kept(call: Call) -> tuple:
    """What the figures read of a call."""
    call.refresh_from_db()
    return (
        call.created,
        call.answered,
        call.ended,
        call.ended_by,
        call.end_reason,
        call.queue_id,
        call.agent_id,
    )
