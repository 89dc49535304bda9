"""Leaving, claiming and finishing callback requests."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from supportcall.calls.models import Call
from supportcall.directory.models import Agent, Site, split_address
from supportcall.http import HttpError, context_field, optional_str
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode
from supportcall.webhooks import models as webhooks
from supportcall.webhooks.payloads import callback as callback_payload
from supportcall.webhooks.record import record

from .models import CallbackRequest

PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


def leave(site: Site, body: dict[str, Any]) -> CallbackRequest:
    """Store a request; it needs a name and a phone number or an email address."""
    name = optional_str(body, "name", 100)
    phone = optional_str(body, "phone", 32)
    email = optional_str(body, "email", 254)
    note = optional_str(body, "note", settings.SUPPORTCALL_CALLBACK_NOTE, multiline=True)
    if not name:
        raise HttpError(ErrorCode.BAD_REQUEST, "'name' is required: who should we ask for?")
    if not phone and not email:
        raise HttpError(
            ErrorCode.BAD_REQUEST, "give a phone number or an email address to call back"
        )
    if phone and not PHONE.match(phone):
        raise HttpError(
            ErrorCode.BAD_REQUEST, f"{excerpt(phone)} does not look like a phone number"
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise HttpError(
                ErrorCode.BAD_REQUEST, f"{excerpt(email)} is not an email address"
            ) from None
    queue = site.queues.first()
    if body.get("queue"):
        wanted = str(body["queue"])
        queue = site.queues.filter(name=split_address(wanted) or wanted).first()
        if queue is None:
            raise HttpError(
                ErrorCode.NOT_FOUND, f"site {site.key!r} has no queue {excerpt(wanted)}"
            )
    call = None
    if body.get("call_id"):
        try:
            call = Call.objects.filter(id=uuid.UUID(str(body["call_id"])), site=site).first()
        except ValueError:
            raise HttpError(ErrorCode.BAD_REQUEST, "'call_id' is not a call id") from None
    context = context_field(body)
    with transaction.atomic():
        request = CallbackRequest.objects.create(
            site=site,
            queue=queue,
            call=call,
            name=name,
            phone=phone,
            email=email,
            note=note,
            context=context,
        )
        _tell(request, webhooks.CALLBACK_REQUESTED)
    return request


# The inbox is polled by every dashboard: a page of it, not all of it.
INBOX_PAGE = 50
MAX_INBOX_PAGE = 200


def _inbox(agent: Agent):
    return CallbackRequest.objects.filter(queue__in=agent.queues.all()).exclude(
        status=CallbackRequest.Status.DONE
    )


def inbox(agent: Agent, *, after: int = 0, limit: int = INBOX_PAGE) -> list[CallbackRequest]:
    """Open requests for the agent's queues, and the ones it claimed and has not finished:
    at most ``limit``, oldest first, from the one after the request ``after``."""
    return list(
        _inbox(agent)
        .filter(pk__gt=after)
        .order_by("pk")
        .select_related("queue", "claimed_by__user")[:limit]
    )


def waiting(agent: Agent) -> int:
    """How many requests of the agent's queues nobody has taken yet."""
    return _inbox(agent).filter(status=CallbackRequest.Status.OPEN).count()


@transaction.atomic
def claim(agent: Agent, request_id: int) -> CallbackRequest:
    """Take a request, so that two agents don't call the same person back."""
    request = _mine_to_see(agent, request_id)
    if request.status != CallbackRequest.Status.OPEN:
        who = request.claimed_by.address if request.claimed_by else "someone"
        raise HttpError(ErrorCode.FORBIDDEN, f"{who} already took this request")
    request.status, request.claimed_by, request.claimed = (
        CallbackRequest.Status.CLAIMED,
        agent,
        timezone.now(),
    )
    request.save()
    _tell(request, webhooks.CALLBACK_CLAIMED)
    return request


@transaction.atomic
def finish(agent: Agent, request_id: int) -> CallbackRequest:
    request = _mine_to_see(agent, request_id)
    if request.status == CallbackRequest.Status.CLAIMED and request.claimed_by_id != agent.pk:
        raise HttpError(ErrorCode.FORBIDDEN, "another agent took this request")
    request.status, request.done = CallbackRequest.Status.DONE, timezone.now()
    if request.claimed_by is None:
        request.claimed_by, request.claimed = agent, request.done
    request.save()
    _tell(request, webhooks.CALLBACK_DONE)
    return request


def _tell(request: CallbackRequest, event_type: str) -> None:
    """The request's webhook event, in the transaction that changed it."""
    record(request.site_id, event_type, lambda: callback_payload(request), call_id=request.call_id)


def _mine_to_see(agent: Agent, request_id: int) -> CallbackRequest:
    request = (
        CallbackRequest.objects.select_for_update()
        .filter(pk=request_id, queue__in=agent.queues.all())
        .first()
    )
    if request is None:
        raise HttpError(ErrorCode.NOT_FOUND, f"no callback request {request_id} in your queues")
    return request
