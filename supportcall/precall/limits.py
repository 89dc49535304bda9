"""The server's thresholds for a check's ``poor``: the quality warnings' own settings."""

from __future__ import annotations

from django.conf import settings

from .verdict import Limits


def limits() -> Limits:
    return Limits(
        rtt_ms=settings.SUPPORTCALL_QUALITY_RTT_MS, loss_pct=settings.SUPPORTCALL_QUALITY_LOSS_PCT
    )
