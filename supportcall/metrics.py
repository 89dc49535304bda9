"""``GET /metrics``: the whole deployment's figures in the Prometheus text format.

The call figures come from the database when Prometheus scrapes, so every
process answers with the same numbers however many serve (a scrape of any one
of them, behind the load balancer, is the cluster's). What only a process
knows (its channel-layer send failures) carries a ``process`` label.

Only scrapers may read it: a request from an address in
SUPPORTCALL_METRICS_ALLOW (default: this machine only), or one with
``Authorization: Bearer <SUPPORTCALL_METRICS_TOKEN>`` when a token is set.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from supportcall.calls.connections import PROCESS
from supportcall.calls.machine import Phase
from supportcall.calls.models import Call, Connection, ServerProcess
from supportcall.directory.models import Queue
from supportcall.http import HttpError, client_address
from supportcall.page_requests import page_endpoint
from supportcall.vocabulary import ErrorCode
from supportcall.webhooks.models import Delivery

# Seconds: from a few to the five minutes a queue's maximum wait defaults to.
ANSWER_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300)
# Seconds from the call's creation to its first ring (routing).
SETUP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5)

# What this process alone knows, counted where it happens.
SEND_FAILURES = Counter(
    "supportcall_channel_send_failures",
    "Events the channel layer refused (the connection's queue was full), in this process",
    ["process"],
)


def _histogram(name: str, doc: str, durations, buckets) -> HistogramMetricFamily:
    """A histogram over a queryset's ``duration`` (one query: a count per bucket)."""
    counts = durations.aggregate(
        total=Count("pk"),
        **{
            f"le_{i}": Count("pk", filter=Q(duration__lte=timedelta(seconds=b)))
            for i, b in enumerate(buckets)
        },
    )
    pairs = [(str(float(b)), counts[f"le_{i}"]) for i, b in enumerate(buckets)]
    # The sum is not kept (the database would add every duration up): 0, as the text
    # format allows; rates and quantiles come from the buckets.
    return HistogramMetricFamily(
        name, doc, buckets=[*pairs, ("+Inf", counts["total"])], sum_value=0
    )


class CallFigures(Collector):
    """Read at each scrape, from the database."""

    def collect(self) -> Iterator:
        now = timezone.now()
        calls = GaugeMetricFamily(
            "supportcall_calls", "Calls not ended, by phase", labels=["phase"]
        )
        live = dict(
            Call.objects.exclude(phase=Phase.ENDED).values_list("phase").annotate(n=Count("pk"))
        )
        for phase in Phase:
            if phase is not Phase.ENDED:
                calls.add_metric([phase], live.get(phase, 0))
        yield calls
        ended = CounterMetricFamily(
            "supportcall_calls_ended",
            "Calls ended, by end reason (as the caller saw it)",
            labels=["reason"],
        )
        for reason, n in (
            Call.objects.filter(phase=Phase.ENDED).values_list("end_reason").annotate(n=Count("pk"))
        ):
            ended.add_metric([reason or "unknown"], n)
        yield ended
        waited = Call.objects.filter(answered__isnull=False).annotate(
            duration=ExpressionWrapper(F("answered") - F("created"), output_field=DurationField())
        )
        yield _histogram(
            "supportcall_call_answer_seconds",
            "Time to answer: from the call's creation to its answer",
            waited,
            ANSWER_BUCKETS,
        )
        routed = Call.objects.annotate(first_ring=Min("events__at", filter=Q(events__name="ring")))
        routed = routed.filter(first_ring__isnull=False).annotate(
            duration=ExpressionWrapper(F("first_ring") - F("created"), output_field=DurationField())
        )
        yield _histogram(
            "supportcall_call_setup_seconds",
            "Call setup: from the call's creation to its first ring",
            routed,
            SETUP_BUCKETS,
        )
        connections = GaugeMetricFamily(
            "supportcall_connections", "WebSockets connected, by role", labels=["role"]
        )
        for role, n in (
            Connection.objects.filter(grace_until__isnull=True)
            .values_list("role")
            .annotate(n=Count("pk"))
        ):
            connections.add_metric([role], n)
        yield connections
        yield from _queues(now)
        lag = GaugeMetricFamily(
            "supportcall_sweeper_lag_seconds",
            "Seconds since each server process's sweeper last vouched for its connections",
            labels=["process"],
        )
        for process, seen in ServerProcess.objects.values_list("id", "last_seen"):
            lag.add_metric([process], max((now - seen).total_seconds(), 0.0))
        yield lag
        yield from _webhooks(now)


def _webhooks(now) -> Iterator:
    """The webhook outbox: what is still to be delivered (and how old the oldest is), and
    what failed for good (re-sendable in the admin)."""
    by_status = dict(
        (key, n)
        for key, n in Delivery.objects.exclude(status=Delivery.Status.DELIVERED)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    backlog = GaugeMetricFamily(
        "supportcall_webhook_backlog", "Webhook deliveries not delivered yet (pending)"
    )
    backlog.add_metric([], by_status.get(Delivery.Status.PENDING, 0))
    yield backlog
    failed = GaugeMetricFamily(
        "supportcall_webhook_failed", "Webhook deliveries that failed after their last try"
    )
    failed.add_metric([], by_status.get(Delivery.Status.FAILED, 0))
    yield failed
    oldest = (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .order_by("id")
        .values_list("event__created", flat=True)
        .first()
    )
    age = GaugeMetricFamily(
        "supportcall_webhook_oldest_pending_seconds",
        "Age of the oldest webhook event not delivered yet (0: none)",
    )
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    yield age


def _queues(now) -> Iterator:
    waiting = GaugeMetricFamily(
        "supportcall_queue_waiting", "Callers waiting in each queue", labels=["queue"]
    )
    longest = GaugeMetricFamily(
        "supportcall_queue_longest_wait_seconds",
        "How long the first caller waiting in each queue has waited",
        labels=["queue"],
    )
    figures = {
        queue_id: (n, oldest)
        for queue_id, n, oldest in Call.objects.filter(phase=Phase.QUEUED)
        .values_list("queue_id")
        .annotate(n=Count("pk"), oldest=Min("queued_at"))
    }
    for queue in Queue.objects.all():
        n, oldest = figures.get(queue.pk, (0, None))
        waiting.add_metric([queue.address], n)
        longest.add_metric([queue.address], (now - oldest).total_seconds() if oldest else 0.0)
    yield waiting
    yield longest


_REGISTRY = CollectorRegistry()
_REGISTRY.register(CallFigures())
_REGISTRY.register(SEND_FAILURES)


def channel_send_failed(count: int = 1) -> None:
    SEND_FAILURES.labels(process=PROCESS).inc(count)


def allowed(request: HttpRequest) -> bool:
    token = settings.SUPPORTCALL_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in net for net in settings.SUPPORTCALL_METRICS_ALLOW)


@page_endpoint
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpError(
            ErrorCode.FORBIDDEN,
            "metrics are for the scrapers SUPPORTCALL_METRICS_ALLOW or SUPPORTCALL_METRICS_TOKEN"
            " let in",
        ).response()
    return HttpResponse(generate_latest(_REGISTRY), content_type=CONTENT_TYPE_PLAIN_0_0_4)
