"""Recording events in the outbox, inside the transaction of the change that caused them.

``record`` writes the event and one pending delivery per endpoint that wants it, in
the caller's transaction: a change that rolls back records nothing, and one that
commits cannot lose its event (the worker sends it whenever it can).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import EVENT_TYPES, Delivery, Endpoint, Event


def record(
    site_id: int,
    event_type: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    call_id: uuid.UUID | None = None,
    now: datetime | None = None,
    endpoints: Callable[[], list[Endpoint]] | None = None,
) -> Event | None:
    """Put one event in the outbox for each of the site's endpoints that want it
    (none: nothing is written, and ``data``, if a function, is not built). Must run inside
    the change's transaction. ``endpoints``: the site's, when the caller has them already
    (``site_endpoints``: a change records several events)."""
    assert event_type in EVENT_TYPES, event_type
    assert transaction.get_connection().in_atomic_block, "record inside the change's transaction"
    every = endpoints() if endpoints is not None else site_endpoints(site_id)
    wanting = [e for e in every if e.wants(event_type)]
    if not wanting:
        return None
    now = now or timezone.now()
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "type": event_type,
        "created": now.isoformat(),
        "data": data() if callable(data) else data,
    }
    event = Event.objects.create(
        id=event_id,
        site_id=site_id,
        type=event_type,
        call_id=call_id,
        body=json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")),
        created=now,
    )
    Delivery.objects.bulk_create(
        Delivery(event=event, endpoint=e, call_id=call_id, next_attempt=now) for e in wanting
    )
    return event


def site_endpoints(site_id: int) -> list[Endpoint]:
    """Every endpoint of the site, whatever it wants (one query; by id: the model's order
    by site and URL would join the sites)."""
    return list(Endpoint.objects.filter(site_id=site_id).order_by("pk"))
