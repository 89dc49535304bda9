from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallbackRequest(models.Model):
    """A visitor asked to be called back (nobody answered, or the line was closed)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        DONE = "done", _("Done")

    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="callbacks")
    queue = models.ForeignKey(
        "directory.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    call = models.ForeignKey(
        "calls.Call",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
        help_text=_("The missed call this follows, if any."),
    )
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    note = models.TextField(blank=True, max_length=1000)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    claimed_by = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    created = models.DateTimeField(auto_now_add=True)
    claimed = models.DateTimeField(null=True, blank=True)
    done = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
        indexes = [
            models.Index(fields=["status", "created"]),
            # The read API's lists (supportcall/api/), newest first.
            models.Index(fields=["site", "created"]),
            models.Index(fields=["claimed_by", "created"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone or self.email}) {self.status}"

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "note": self.note,
            "context": self.context,
            "queue": self.queue.address if self.queue else None,
            "status": self.status,
            "claimed_by": self.claimed_by.address if self.claimed_by else None,
            "created": self.created.isoformat(),
            "missed_call": str(self.call_id) if self.call_id else None,
        }
