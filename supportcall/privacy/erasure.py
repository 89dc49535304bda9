"""Erasure of one visitor's data, found by its identity (address) or its verified ``sub``.

What names or describes the visitor goes: the scrubbing steps of retention (SDP,
context, chat, quality series, files), then the address on its calls and their events,
its callback requests' details and its expired tokens. The call rows stay, with their
times, queue, agent and outcome: the team's figures count them as before. Calls still
in progress are left alone (counted, so the admin can erase again once they ended).
Each erasure is logged (``Erasure``: who, when, how many) without whom it was about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.models import Call, CallEvent
from supportcall.directory.models import Site, address
from supportcall.tokens.models import IssuedToken

from .models import Erasure
from .retention import STEPS, ended

log = logging.getLogger(__name__)

# The caller an erased call keeps: the address no visitor has.
ERASED_NAME = "erased"

# What erasure reports besides the steps' kinds, with their labels.
LABELS = {
    **{step.kind: step.label for step in STEPS if step.erased},
    "identity": _("caller addresses on calls"),
    "events": _("call events naming the visitor"),
    "callbacks": _("callback requests"),
    "tokens": _("expired tokens"),
}


@dataclass(frozen=True)
class Visitor:
    """Whom to erase: exactly one of ``identity`` and ``sub``, on one site or on all."""

    site: Site | None
    identity: str = ""
    sub: str = ""

    def __post_init__(self) -> None:
        if bool(self.identity) == bool(self.sub):
            raise ValueError("give the visitor's identity or its sub, not both")

    @property
    def matched_by(self) -> str:
        return "identity" if self.identity else "sub"

    def calls(self) -> QuerySet[Call]:
        calls = Call.objects.all() if self.site is None else Call.objects.filter(site=self.site)
        if self.identity:
            return calls.filter(caller_identity=self.identity)
        return calls.filter(caller_verified__sub=self.sub)

    def tokens(self, identities: list[str]) -> QuerySet[IssuedToken]:
        """Its tokens that expired (a live one may carry a call in progress; the rest go
        with the sweeper's pruning)."""
        match = Q(identity__in=identities) | (Q(verified__sub=self.sub) if self.sub else Q())
        if self.identity:
            match |= Q(identity=self.identity)
        tokens = IssuedToken.objects.filter(match, expires__lt=timezone.now())
        return tokens if self.site is None else tokens.filter(site=self.site)


@dataclass(frozen=True)
class Plan:
    """What an erasure will remove, per kind, and the calls it leaves for now."""

    counts: dict[str, int]
    in_progress: int


def _parts(visitor: Visitor) -> tuple[QuerySet[Call], list[str], int]:
    matched = visitor.calls()
    done = ended(matched)
    ids = list(done.values_list("pk", flat=True))
    calls = Call.objects.filter(pk__in=ids)
    identities = sorted(set(calls.values_list("caller_identity", flat=True)) - {erased()})
    return calls, identities, matched.count() - len(ids)


def erased() -> str:
    return address(ERASED_NAME)


def _events(calls: QuerySet[Call], identities: list[str]) -> QuerySet[CallEvent]:
    return CallEvent.objects.filter(call__in=calls, actor__in=identities)


def _callbacks(calls: QuerySet[Call]) -> QuerySet[CallbackRequest]:
    return CallbackRequest.objects.filter(call__in=calls).exclude(
        name="", phone="", email="", note="", context={}
    )


def plan(visitor: Visitor) -> Plan:
    calls, identities, in_progress = _parts(visitor)
    counts = {step.kind: step.pending(calls).count() for step in STEPS if step.erased}
    counts["identity"] = calls.exclude(caller_identity=erased()).count()
    counts["events"] = _events(calls, identities).count()
    counts["callbacks"] = _callbacks(calls).count()
    counts["tokens"] = visitor.tokens(identities).count()
    return Plan(counts, in_progress)


def erase(visitor: Visitor, by: str) -> Erasure:
    """Erase the visitor's data from its ended calls (one transaction), and log it."""
    with transaction.atomic():
        calls, identities, in_progress = _parts(visitor)
        counts = {step.kind: step.remove(step.pending(calls)) for step in STEPS if step.erased}
        counts["events"] = _events(calls, identities).update(actor=erased())
        counts["callbacks"] = _callbacks(calls).update(
            name="", phone="", email="", note="", context={}
        )
        counts["tokens"] = visitor.tokens(identities).delete()[1].get("tokens.IssuedToken", 0)
        # Last: the calls are found by the address until here.
        counts["identity"] = calls.exclude(caller_identity=erased()).update(
            caller_identity=erased()
        )
        record = Erasure.objects.create(
            by=by,
            site=visitor.site,
            matched_by=visitor.matched_by,
            counts=counts,
            skipped_in_progress=in_progress,
        )
    log.info(
        "erasure %s by %s (%s): %s; %d calls in progress left",
        record.pk,
        by,
        visitor.matched_by,
        counts,
        in_progress,
    )
    return record
