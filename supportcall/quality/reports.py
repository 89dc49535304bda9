"""``call.quality``: a party's report of its media during an answered call.

The report is checked (each number in its range, the path one of ICE's candidate
types; anything else is ``bad_request`` and nothing is kept), rate limited per
party (SUPPORTCALL_QUALITY_MIN_INTERVAL between two reports), kept as a
``Sample`` with its MOS and warnings, and the series bounded. Both parties hear
``call.quality`` when the reporter's level or warnings changed: the reporter as
``local`` (its own connection), the other party as ``remote``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from supportcall.calls import events
from supportcall.calls.change import Actor, Delivery, Outcome, locked
from supportcall.calls.machine import CallError, Party, Phase
from supportcall.vocabulary import ErrorCode

from . import emodel
from .models import Sample

# Each number's unit and range: what a real browser or aiortc can report.
RANGES = {
    "rtt_ms": (0.0, 60_000.0),
    "jitter_ms": (0.0, 60_000.0),
    "loss_pct": (0.0, 100.0),
    "bitrate_in_kbps": (0.0, 100_000.0),
    "bitrate_out_kbps": (0.0, 100_000.0),
}
CANDIDATES = ("host", "srflx", "prflx", "relay")


def thresholds() -> emodel.Thresholds:
    return emodel.Thresholds(
        rtt_ms=settings.SUPPORTCALL_QUALITY_RTT_MS,
        jitter_ms=settings.SUPPORTCALL_QUALITY_JITTER_MS,
        loss_pct=settings.SUPPORTCALL_QUALITY_LOSS_PCT,
        mos=settings.SUPPORTCALL_QUALITY_MOS,
    )


def _checked(numbers: dict[str, Any], codec: str | None, candidate_type: str | None) -> None:
    for name, value in numbers.items():
        low, high = RANGES[name]
        if value is not None and not low <= value <= high:
            raise CallError(
                ErrorCode.BAD_REQUEST, f"'{name}' must be a number from {low:g} to {high:g}"
            )
    if candidate_type is not None and candidate_type not in CANDIDATES:
        raise CallError(
            ErrorCode.BAD_REQUEST, f"'candidate_type' must be one of {', '.join(CANDIDATES)}"
        )
    if codec is not None and not codec.replace("/", "").replace("-", "").isalnum():
        raise CallError(ErrorCode.BAD_REQUEST, "'codec' must be a codec's name, such as opus")


def reading(sample: Sample) -> emodel.Reading:
    return emodel.Reading(sample.rtt_ms, sample.jitter_ms, sample.loss_pct)


def report(
    actor: Actor,
    call_id: uuid.UUID,
    *,
    codec: str | None = None,
    candidate_type: str | None = None,
    **numbers: Any,
) -> Outcome:
    _checked(numbers, codec, candidate_type)
    outbox: list[Delivery] = []
    limits = thresholds()
    with locked(call_id, actor, outbox) as change:
        row, party = change.row, actor.party
        if change.call.phase is not Phase.ANSWERED:
            raise CallError(
                ErrorCode.INVALID_STATE, "quality is reported only while the call is answered"
            )
        if party is Party.AGENT and row.agent_id != actor.agent:  # rung once, not answering
            raise CallError(ErrorCode.NOT_FOUND, f"you have no call {call_id}")
        now = timezone.now()
        mine = Sample.objects.filter(call=row, party=party)
        recent = list(mine.order_by("-at")[: limits.loss_window])
        gap = settings.SUPPORTCALL_QUALITY_MIN_INTERVAL
        if recent and now - recent[0].at < timedelta(seconds=gap):
            raise CallError(ErrorCode.RATE_LIMITED, f"at most one quality report every {gap:g} s")
        kept = {"codec": codec or "", "candidate": candidate_type or "", **numbers}
        sample = Sample(call=row, party=party, at=now, **kept)
        sample.mos = emodel.mos(reading(sample))
        sample.warnings = list(emodel.warnings([reading(s) for s in [sample, *recent]], limits))
        sample.save()
        _bound(mine)
        before = recent[0] if recent else None
        shown = _shown(sample, limits)
        if before is None or _shown(before, limits) != shown:
            change.send(party, events.quality(call_id, "local", sample, shown[0]))
            change.send(party.other, events.quality(call_id, "remote", sample, shown[0]))
    return Outcome(
        {"call_id": str(call_id), "mos": sample.mos, "warnings": sample.warnings}, outbox
    )


def replay(row: Any, party: Party) -> list[events.Event]:
    """A resumed party's indicators as they were: each side's latest judgement (its own
    as ``local``, the other's as ``remote``), since events come only when one changes."""
    limits = thresholds()
    told = []
    for side, whose in (("local", party), ("remote", party.other)):
        sample = Sample.objects.filter(call=row, party=whose).order_by("-at").first()
        if sample is not None:
            told.append(events.quality(row.id, side, sample, _shown(sample, limits)[0]))
    return told


def _shown(sample: Sample, limits: emodel.Thresholds) -> tuple[str, list[str]]:
    """What the parties' indicators show of a sample: they hear only when it changes."""
    return emodel.level(sample.mos, limits), list(sample.warnings)


def _bound(samples: Any) -> None:
    """A party's series keeps its newest SUPPORTCALL_QUALITY_SAMPLES."""
    limit = settings.SUPPORTCALL_QUALITY_SAMPLES
    old = list(samples.order_by("-at").values_list("pk", flat=True)[limit : limit + 10])
    if old:
        Sample.objects.filter(pk__in=old).delete()
