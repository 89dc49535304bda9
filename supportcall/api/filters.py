"""The query parameters of the lists, checked: a bad one is a 400 naming it and why.

Each list takes ``since`` and ``until`` (ISO 8601; on the record's creation, ``since``
included, ``until`` not), ``site``, ``queue``, ``agent`` and ``status``; calls also take
``outcome`` and ``disposition``. Any other parameter is refused, so a typo does not
silently return everything. A queue or agent is its address or its bare name.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.machine import Phase
from supportcall.directory.models import split_address
from supportcall.vocabulary import Reason

from .errors import BadFilters

PAGING = ("cursor", "page_size")


def _name(value: str) -> str:
    """An address in our domain, or a bare name, as the name."""
    return split_address(value) or value


class Filters(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Created at or after (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Created before (ISO 8601).")
    site = serializers.CharField(required=False, max_length=64, help_text="A site's key.")
    queue = serializers.CharField(
        required=False, max_length=254, help_text="A queue's address or name."
    )
    agent = serializers.CharField(
        required=False, max_length=254, help_text="An agent's address or user name."
    )

    agent_field = "agent"  # the record's field the agent filter looks at

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - set(PAGING))
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Not a filter of this list.")] for name in unknown}
            )
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": [_("Must be later than since.")]})
        return attrs

    def apply(self, records: QuerySet) -> QuerySet:
        given = self.validated_data
        if "since" in given:
            records = records.filter(created__gte=given["since"])
        if "until" in given:
            records = records.filter(created__lt=given["until"])
        if "site" in given:
            records = records.filter(site__key=given["site"])
        if "queue" in given:
            records = records.filter(queue__name=_name(given["queue"]))
        if "agent" in given:
            records = records.filter(
                **{f"{self.agent_field}__user__username": _name(given["agent"])}
            )
        return records


class CallFilters(Filters):
    status = serializers.ChoiceField(
        required=False, choices=[p.value for p in Phase], help_text="The call's phase."
    )
    outcome = serializers.ChoiceField(
        required=False,
        choices=[r.value for r in Reason],
        help_text="How the call ended for the caller (its end reason).",
    )
    disposition = serializers.CharField(
        required=False, max_length=100, help_text="The outcome the agent recorded (its label)."
    )

    def apply(self, records: QuerySet) -> QuerySet:
        records = super().apply(records)
        given = self.validated_data
        if "status" in given:
            records = records.filter(phase=given["status"])
        if "outcome" in given:
            records = records.filter(end_reason=given["outcome"])
        if "disposition" in given:
            records = records.filter(disposition__label=given["disposition"])
        return records


class CallbackFilters(Filters):
    status = serializers.ChoiceField(required=False, choices=CallbackRequest.Status.values)
    agent = serializers.CharField(
        required=False, max_length=254, help_text="Who claimed it: an agent's address or name."
    )
    agent_field = "claimed_by"

    def apply(self, records: QuerySet) -> QuerySet:
        records = super().apply(records)
        if "status" in self.validated_data:
            records = records.filter(status=self.validated_data["status"])
        return records


def checked(filters: type[Filters], params: Any) -> Filters:
    """The request's parameters as ``filters``, or a 400 naming each bad one."""
    given = filters(data={name: params.get(name) for name in params})
    errors = {} if given.is_valid() else dict(given.errors)
    if "page_size" in params:
        size = params["page_size"]
        most = settings.SUPPORTCALL_API_PAGE_SIZE_MAX
        if not (size.isascii() and size.isdigit() and 1 <= int(size) <= most):
            errors["page_size"] = [_("A whole number from 1 to %(most)d.") % {"most": most}]
    if errors:
        raise BadFilters(errors)
    return given
