"""Retention: each site keeps each kind of an ended call's data for its own period.

The work is a list of steps (``STEPS``), one per kind of data. A step says which rows of
a set of calls still hold its kind (``pending``) and how to remove one batch of them
(``remove``: delete the rows, or blank the columns). Retention runs every step whose
period a site sets on that site's calls ended longer ago; erasure (``erasure.py``) runs
the scrubbing steps on one visitor's calls.

A new kind of data is one more entry. The files of chat are one: a ChatFile's stored
bytes go on its ``post_delete`` (calls/signals.py), which a queryset's delete and a
call's cascade send for each row.
Only ended calls are ever touched, so a call in progress keeps everything. Each batch is
a transaction of its own that locks the rows it picks, skipping those another process
holds, and re-checks them as it removes them: any number of processes may run it at once
(the sweeper runs in every process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportcall.calls.machine import Phase
from supportcall.calls.models import Call, ChatFile, ChatMessage
from supportcall.directory.models import Site
from supportcall.quality.models import Sample

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def delete(rows: QuerySet) -> int:
    """Delete the rows (and what cascades from them); how many of ``rows`` went."""
    return rows.delete()[1].get(rows.model._meta.label, 0)


def blank(**values: object) -> Callable[[QuerySet], int]:
    """Set these columns of the rows; how many rows."""
    return lambda rows: rows.update(**values)


@dataclass(frozen=True)
class Step:
    kind: str  # the site's period is keep_<kind>_days
    label: StrOrPromise
    pending: Callable[[QuerySet[Call]], QuerySet]  # the rows of these calls still to go
    remove: Callable[[QuerySet], int]
    erased: bool = True  # erasure runs it too (the call row itself it keeps)


STEPS: list[Step] = [
    # First: a call deleted takes its chat, quality series and events with it. A call whose
    # agent is still in its after-call work waits for the wrap-up's end.
    Step(
        "calls",
        _("call records"),
        lambda calls: calls.filter(wrap_ups__isnull=True),
        delete,
        erased=False,
    ),
    Step(
        "sdp",
        _("SDP and ICE candidates"),
        lambda calls: calls.filter(
            ~Q(offer_sdp="") | ~Q(answer_sdp="") | ~Q(op_sdp="") | ~Q(caller_candidates=[])
        ),
        blank(offer_sdp="", answer_sdp="", op_sdp="", caller_candidates=[]),
    ),
    Step(
        "context",
        _("visitor context"),
        lambda calls: calls.filter(
            ~Q(caller_context={}) | Q(caller_verified__isnull=False) | ~Q(caller_display_name="")
        ),
        blank(caller_context={}, caller_verified=None, caller_display_name=""),
    ),
    # Before the chat: a file's message goes with the chat's period, its bytes with this one
    # (each ChatFile's post_delete removes its stored file once the batch commits).
    Step("files", _("files"), lambda calls: ChatFile.objects.filter(call__in=calls), delete),
    Step(
        "chat", _("chat messages"), lambda calls: ChatMessage.objects.filter(call__in=calls), delete
    ),
    Step(
        "quality", _("quality samples"), lambda calls: Sample.objects.filter(call__in=calls), delete
    ),
]

# The kinds a site has a period for (Site.keep_<kind>_days).
KINDS = ["calls", "sdp", "context", "chat", "files", "quality"]
assert {step.kind for step in STEPS} <= set(KINDS)


def ended(calls: QuerySet[Call]) -> QuerySet[Call]:
    """Of these calls, those over: the only ones retention and erasure touch."""
    return calls.filter(phase=Phase.ENDED, ended__isnull=False)


def expired(site: Site, step: Step, now: datetime) -> QuerySet[Call] | None:
    """The site's ended calls past the step's period, or None when it keeps them for good."""
    days = getattr(site, f"keep_{step.kind}_days")
    if days is None:
        return None
    cutoff = now - timedelta(days=days)
    return ended(Call.objects.filter(site=site, ended__lt=cutoff))


def run_step(step: Step, calls: QuerySet[Call], batch: int, batches: int) -> int:
    """Remove up to ``batches`` batches of ``batch`` rows of the step's kind; how many."""
    done = 0
    for _round in range(batches):
        with transaction.atomic():
            # On PostgreSQL, rows another process is removing are skipped: each takes a
            # batch of its own (SQLite writes one transaction at a time anyway).
            rows = (
                step.pending(calls).order_by("pk").select_for_update(skip_locked=True, of=("self",))
            )
            ids = list(rows.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            # Re-checked in the statement: a row removed meanwhile is not counted.
            done += step.remove(step.pending(calls).filter(pk__in=ids))
        if len(ids) < batch:
            break
    return done


def preview(site: Site, now: datetime | None = None) -> dict[str, int]:
    """What the site's policy removes now, per kind (kinds it keeps for good left out)."""
    now = now or timezone.now()
    counts = {}
    for step in STEPS:
        calls = expired(site, step, now)
        if calls is not None:
            counts[step.kind] = step.pending(calls).count()
    return counts


def apply(
    sites: QuerySet[Site] | None = None,
    now: datetime | None = None,
    batch: int | None = None,
    batches: int | None = None,
) -> dict[str, int]:
    """Apply the sites' policies (every site's unless given): rows removed per kind."""
    now = now or timezone.now()
    batch = batch or settings.SUPPORTCALL_RETENTION_BATCH
    batches = batches or settings.SUPPORTCALL_RETENTION_BATCHES
    totals: dict[str, int] = {}
    for site in sites if sites is not None else Site.objects.all():
        for step in STEPS:
            calls = expired(site, step, now)
            if calls is not None:
                gone = run_step(step, calls, batch, batches)
                totals[step.kind] = totals.get(step.kind, 0) + gone
    return totals


def periods(site: Site) -> dict[str, int | None]:
    return {kind: getattr(site, f"keep_{kind}_days") for kind in KINDS}
