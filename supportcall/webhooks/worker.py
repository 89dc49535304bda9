"""The delivery worker: posts due deliveries to their endpoints, in every process.

Each process's worker claims due deliveries under row locks (``skip_locked`` on
PostgreSQL: two workers never claim the same one) and leases them for the
time a post may take; one whose process died is due again once its lease
runs out, so delivery is at least once. An event of a call is not claimed
while an earlier one of the same call to the same endpoint is pending: in
order per call and endpoint. Posts run in threads of their own, so a slow
endpoint holds up only its own deliveries, never the event loop or the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from supportcall.db import in_db
from supportcall.text import excerpt

from . import signing
from .models import Delivery, Event

log = logging.getLogger(__name__)

# A lease outlasts the post's timeout by this much (connecting, reading the answer).
LEASE_MARGIN = 5.0


def lease_seconds() -> float:
    timeout = settings.SUPPORTCALL_WEBHOOK_TIMEOUT
    return timeout + min(timeout, LEASE_MARGIN)


@dataclass(frozen=True)
class Attempt:
    delivery: int
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes


def due(now: datetime):
    """Pending deliveries whose time has come, not leased, with no earlier one of the same
    call to the same endpoint still pending."""
    earlier = Delivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        call_id=OuterRef("call_id"),
        status=Delivery.Status.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(earlier))
        .order_by("id")
    )


def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due deliveries for this worker; their ids, oldest first."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=lease_seconds())
    with transaction.atomic():
        rows = due(now)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        ids = list(rows.values_list("id", flat=True)[:limit])
        Delivery.objects.filter(id__in=ids).update(leased_until=lease)
    return ids


def prepare(delivery_id: int) -> Attempt | None:
    """What to post for a claimed delivery (None: it is not pending any more)."""
    row = (
        Delivery.objects.select_related("event", "endpoint")
        .filter(id=delivery_id, status=Delivery.Status.PENDING)
        .first()
    )
    if row is None:
        return None
    return Attempt(
        row.id,
        row.endpoint.url,
        row.endpoint.secret,
        str(row.event_id),
        row.event.type,
        row.event.body.encode(),
    )


def post(attempt: Attempt) -> str:
    """Post one event, signed; "" if the endpoint took it (2xx), else what went wrong."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "supportcall-webhooks",
        signing.HEADER: signing.header(attempt.secret, timestamp, attempt.body),
        "Supportcall-Event-Id": attempt.event_id,
        "Supportcall-Event-Type": attempt.event_type,
    }
    try:
        answer = requests.post(
            attempt.url,
            data=attempt.body,
            headers=headers,
            timeout=settings.SUPPORTCALL_WEBHOOK_TIMEOUT,
            allow_redirects=False,  # a redirect is not a delivery
        )
    except requests.RequestException as e:
        return f"{type(e).__name__}: {excerpt(str(e), 300)}"
    if 200 <= answer.status_code < 300:
        return ""
    return f"HTTP {answer.status_code}: {excerpt(answer.text, 300)}"


def backoff(attempts: int) -> float:
    """Seconds until the next try after ``attempts`` failed ones: doubling from
    SUPPORTCALL_WEBHOOK_RETRY up to SUPPORTCALL_WEBHOOK_RETRY_MAX, with jitter (so that
    an endpoint coming back is not hit by every delivery at once)."""
    delay = settings.SUPPORTCALL_WEBHOOK_RETRY * 2 ** min(attempts - 1, 30)
    return min(delay, settings.SUPPORTCALL_WEBHOOK_RETRY_MAX) * random.uniform(0.5, 1.0)


def settle(delivery_id: int, error: str, now: datetime | None = None) -> None:
    """Record an attempt: delivered, due again later, or failed after the last try
    (SUPPORTCALL_WEBHOOK_MAX_AGE since the first, or SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update()
            .filter(id=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if row is None:
            return
        row.attempts += 1
        row.first_attempt = row.first_attempt or now
        row.leased_until = None
        row.last_error = error
        if not error:
            row.status, row.delivered = Delivery.Status.DELIVERED, now
        elif (
            row.attempts >= settings.SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS
            or (now - row.first_attempt).total_seconds() >= settings.SUPPORTCALL_WEBHOOK_MAX_AGE
        ):
            row.status = Delivery.Status.FAILED
            log.warning("webhook delivery %s failed for good: %s", row.id, error)
        else:
            row.next_attempt = now + timedelta(seconds=backoff(row.attempts))
        row.save()


def resend(ids: list[int], now: datetime | None = None) -> int:
    """Make deliveries pending again, due now, with a fresh count of attempts."""
    return Delivery.objects.filter(id__in=ids).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        first_attempt=None,
        next_attempt=now or timezone.now(),
        leased_until=None,
        delivered=None,
    )


def deliver(delivery_id: int) -> None:
    """One delivery, start to end, in the calling thread (a synchronous worker's step)."""
    attempt = prepare(delivery_id)
    if attempt is not None:
        settle(delivery_id, post(attempt))


def prune(now: datetime | None = None, batch: int = 1000) -> int:
    """Delete up to ``batch`` events past SUPPORTCALL_WEBHOOK_RETENTION that every endpoint
    took (with their deliveries); how many went."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.SUPPORTCALL_WEBHOOK_RETENTION)
    unsent = Delivery.objects.filter(event=OuterRef("pk")).exclude(status=Delivery.Status.DELIVERED)
    old = Event.objects.filter(created__lt=before).exclude(Exists(unsent))
    ids = list(old.values_list("pk", flat=True)[:batch])
    Event.objects.filter(pk__in=ids).delete()
    return len(ids)


# Pruning is housekeeping: once a minute is plenty.
PRUNE_INTERVAL = 60.0


@cache
def _posting() -> ThreadPoolExecutor:
    """The threads posts wait in: as many as deliveries may be in flight."""
    return ThreadPoolExecutor(settings.SUPPORTCALL_WEBHOOK_BATCH, thread_name_prefix="webhook")


async def _deliver(delivery_id: int) -> None:
    attempt = await in_db(prepare)(delivery_id)
    if attempt is None:
        return
    error = await asyncio.get_running_loop().run_in_executor(_posting(), post, attempt)
    await in_db(settle)(delivery_id, error)


async def run(interval: float) -> None:
    """Claim due deliveries every ``interval`` seconds, at most SUPPORTCALL_WEBHOOK_BATCH
    in flight; each is posted without waiting for the others."""
    inflight: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()
    pruned_at = loop.time()
    try:
        while True:
            try:
                if loop.time() - pruned_at >= PRUNE_INTERVAL:
                    pruned_at = loop.time()
                    await in_db(prune)()
                room = settings.SUPPORTCALL_WEBHOOK_BATCH - len(inflight)
                for delivery_id in await in_db(claim)(room) if room > 0 else []:
                    task = asyncio.create_task(_deliver(delivery_id))
                    inflight.add(task)
                    task.add_done_callback(_done(inflight))
            except Exception:  # a database hiccup must not stop the worker for good
                log.exception("webhook claim failed; trying again in %.1f s", interval)
            await asyncio.sleep(interval)
    finally:  # stopped: what is in flight is sent again once its lease runs out
        for task in inflight:
            task.cancel()


def _done(inflight: set[asyncio.Task]):
    def done(task: asyncio.Task) -> None:
        inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Its lease runs out and it is sent again: at least once.
            log.error("webhook delivery failed", exc_info=task.exception())

    return done
