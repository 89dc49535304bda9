from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sample(models.Model):
    """One quality report of one party of a call, with what the server made of it.

    The numbers are what the party measured of the media it receives (jitter,
    loss) and of its path (the round trip); a party keeps at most
    SUPPORTCALL_QUALITY_SAMPLES of them per call (the oldest go first).
    """

    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="quality")
    party = models.CharField(max_length=8, help_text=_("caller or agent: who measured it"))
    at = models.DateTimeField(default=timezone.now)
    rtt_ms = models.FloatField(null=True, blank=True)
    jitter_ms = models.FloatField(null=True, blank=True)
    loss_pct = models.FloatField(null=True, blank=True)
    bitrate_in_kbps = models.FloatField(null=True, blank=True)
    bitrate_out_kbps = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=32, blank=True)
    candidate = models.CharField(
        max_length=8, blank=True, help_text=_("host, srflx, prflx or relay: the media's path")
    )
    mos = models.FloatField(help_text=_("The E-model's estimate, 1 to 4.5"))
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("quality sample")
        indexes = [models.Index(fields=["call", "party", "at"], name="quality_call_party_at")]

    def __str__(self) -> str:
        return f"{self.party} {self.at:%H:%M:%S} MOS {self.mos}"
