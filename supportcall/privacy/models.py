from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """One erasure of a visitor's data: who asked, when, and how much went; never whom
    it was about (that is the erased data)."""

    at = models.DateTimeField(auto_now_add=True)
    by = models.CharField(max_length=254, help_text=_("The admin user, or 'command'."))
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_by = models.CharField(max_length=16, help_text=_("identity or sub"))
    counts = models.JSONField(default=dict, help_text=_("Rows erased, per kind."))
    skipped_in_progress = models.PositiveIntegerField(
        default=0, help_text=_("Calls still going, left alone: erase again once they ended.")
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("erasure")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} by {self.by}"
