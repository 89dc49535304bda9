"""The webhook outbox: endpoints, the events recorded for them, one delivery per pair.

An ``Event`` is written in the transaction of the change that caused it
(``record``), with its body rendered once: every attempt sends the same bytes.
A ``Delivery`` is that event for one endpoint; its ``next_attempt`` and
``leased_until`` are the deadlines the worker acts on (``worker.py``), so a
process that dies mid-delivery loses nothing: its lease runs out and any
process's worker sends it again.
"""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Every event an endpoint may subscribe to (docs/webhooks.md documents each payload).
CALL_CREATED = "call.created"
CALL_RINGING = "call.ringing"
CALL_ANSWERED = "call.answered"
CALL_TRANSFERRED = "call.transferred"
CALL_ENDED = "call.ended"
CALL_MISSED = "call.missed"
CALL_WRAPPED_UP = "call.wrapped_up"
CALL_RATED = "call.rated"
CALLBACK_REQUESTED = "callback.requested"
CALLBACK_CLAIMED = "callback.claimed"
CALLBACK_DONE = "callback.done"
EVENT_TYPES = (
    CALL_CREATED,
    CALL_RINGING,
    CALL_ANSWERED,
    CALL_TRANSFERRED,
    CALL_ENDED,
    CALL_MISSED,
    CALL_WRAPPED_UP,
    CALL_RATED,
    CALLBACK_REQUESTED,
    CALLBACK_CLAIMED,
    CALLBACK_DONE,
)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL of a site that gets some of its events, signed with its own secret."""

    site = models.ForeignKey(
        "directory.Site", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # Made by the admin's action and shown once; empty until then (nothing is sent
    # unsigned: an endpoint without a secret gets no deliveries).
    secret = models.CharField(max_length=100, blank=True, editable=False)
    events = models.JSONField(
        default=list, blank=True, help_text=_("The event types it gets; empty: all of them.")
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "url"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        if not isinstance(self.events, list) or any(e not in EVENT_TYPES for e in self.events):
            raise ValidationError(
                {
                    "events": _("A list of event types, among: %(types)s.")
                    % {"types": ", ".join(EVENT_TYPES)}
                }
            )

    def wants(self, event_type: str) -> bool:
        return self.active and bool(self.secret) and (not self.events or event_type in self.events)

    def rotate_secret(self) -> str:
        self.secret = new_secret()
        self.save(update_fields=["secret"])
        return self.secret


class Event(models.Model):
    """One thing that happened, as its receivers get it: ``body`` is the exact JSON sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32)
    # The call the event is about (a callback's missed call, if any): per endpoint, an
    # event of a call is not sent before the call's earlier ones were delivered.
    call_id = models.UUIDField(null=True, blank=True)
    body = models.TextField()
    created = models.DateTimeField()

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """An event for one endpoint: pending until delivered, or failed after its last try."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # Auto-incremented in the order events are recorded: the per-call order.
    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    call_id = models.UUIDField(null=True, blank=True)  # the event's, for the order check
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField()
    # A worker is sending it until then; past it (the process died), it is due again.
    leased_until = models.DateTimeField(null=True, blank=True)
    first_attempt = models.DateTimeField(null=True, blank=True)
    delivered = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt"]),
            models.Index(fields=["endpoint", "call_id", "status"]),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
