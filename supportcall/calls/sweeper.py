"""The sweeper: acts on passed deadlines stored in the database.

Every process may run it (and all at once): each call is re-checked under its
row lock, so a deadline is acted on exactly once, by whichever sweeper gets
there first. Nothing here sleeps on behalf of a particular call.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportcall.db import in_db
from supportcall.directory.models import Agent
from supportcall.privacy import retention
from supportcall.tokens import issuing
from supportcall.vocabulary import Close, ErrorCode, Reason

from . import connections, distribution, events, files, liveness, machine, wrapup
from .change import (
    SYSTEM,
    Change,
    Delivery,
    Outcome,
    each_locked,
    free_changed,
    party_group,
    queues_of,
)
from .delivery import deliver
from .machine import LegStatus, Phase, TransferStage
from .models import Call, Connection, WrapUp

log = logging.getLogger(__name__)


def sweep(now: datetime | None = None) -> Outcome:
    """Act on every passed deadline: unanswered re-offers fail, rings move on, waits run out,
    wrap-ups end.

    Safe to run in every process at once: each call is re-checked under its lock.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    queues: set[int] = set()
    # Parties that did not come back in time (first: their calls need no more routing).
    for conn in Connection.objects.filter(grace_until__lt=now):
        queues |= connections.lose(conn, now, outbox)
    for row in each_locked(Call.objects.filter(phase=Phase.ANSWERED, op_deadline__lt=now)):
        change = Change(row, SYSTEM, outbox)
        pending = change.call.pending
        assert pending is not None
        step = machine.expire(change.call)
        change.apply(step, ErrorCode.TIMEOUT, op=pending.op)
        change.send(
            pending.by,
            events.op_result(
                row.id, pending.op, step.ok, step.code, "the other party did not answer in time"
            ),
        )
    # A direct call rings its agent until its ring deadline.
    for row in each_locked(Call.objects.filter(phase=Phase.RINGING, ring_deadline__lt=now)):
        change = Change(row, SYSTEM, outbox)
        transfer = change.call.transfer
        if transfer is not None and transfer.stage is TransferStage.RINGING:
            distribution.transfer_unanswered(change, "nobody took the transfer in time")
        elif transfer is not None and transfer.stage is TransferStage.OFFER:
            distribution.give_up(change, Reason.NO_ANSWER, why="the caller sent no fresh offer")
        else:
            distribution.give_up(change, Reason.NO_ANSWER)
        queues |= change.queues
    # A queue call's ring moves on to the next agent.
    late_legs = Call.objects.filter(
        phase=Phase.RINGING, legs__status=LegStatus.RINGING, legs__deadline__lt=now
    ).distinct()
    for row in each_locked(late_legs):
        change = Change(row, SYSTEM, outbox)
        change.now = now
        for leg in row.legs.filter(status=LegStatus.RINGING, deadline__lt=now):
            distribution.ring_out(change, leg)
        change.save()
        queues |= change.queues
    # A queue's maximum wait.
    waited = Call.objects.filter(phase__in=[Phase.QUEUED, Phase.RINGING], wait_deadline__lt=now)
    for row in each_locked(waited):
        change = Change(row, SYSTEM, outbox)
        distribution.give_up(change, Reason.NO_ANSWER, why="the queue's maximum wait ran out")
        queues |= change.queues
    # After-call work whose time ran out: the agent may be rung again.
    queues |= _end_wrap_ups(now, outbox)
    distribution.settle(queues, outbox)
    return Outcome({}, outbox)


def _end_wrap_ups(now: datetime, outbox: list[Delivery]) -> set[int]:
    """End each wrap-up past its deadline (re-checked under its row lock); the queues of
    its agent are worth a new look."""
    queues: set[int] = set()
    for wrap_id in WrapUp.objects.filter(until__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            wrap = WrapUp.objects.select_for_update().filter(pk=wrap_id, until__lt=now).first()
            if wrap is None:  # ended meanwhile (saved, ready) or extended
                continue
            agent = wrap.agent_id
            event = wrapup.finish(wrap, SYSTEM, "time ran out", now)
            address = Agent.objects.select_related("user").get(pk=agent).address
            outbox.append(Delivery(party_group(address), event, group=True))
            free_changed(outbox)
        queues |= queues_of({agent})
    return queues


# Pruning old rows is housekeeping, not a deadline: once a minute is plenty.
PRUNE_INTERVAL = 60.0


# Batches of a thousand rows one prune may delete: a minute's worth of tokens at a few
# hundred logins a second (each batch a short transaction of its own).
PRUNE_BATCHES = 100


def prune(now: datetime | None = None, batch: int = 1000) -> int:
    """Delete what nothing will read again: tokens out of use past their retention, batch
    after batch until none is left (a busy line issues more than one batch a minute)."""
    gone = 0
    for _ in range(PRUNE_BATCHES):
        deleted = issuing.prune(now, batch=batch)
        gone += deleted
        if deleted < batch:
            break
    return gone + files.prune_tokens(now, batch)


async def sweep_once() -> int:
    outcome = await in_db(sweep)()
    await deliver(outcome.outbox)
    return len(outcome.outbox)


async def watch_connections() -> None:
    """Vouch for this process's connections, close those that lost events, and treat the
    connections of processes nobody vouches for as dropped."""
    kept = await in_db(liveness.keep_alive)(connections.PROCESS)
    await deliver(kept.outbox)
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    if kept.result.get("revived"):
        # Taken for dead: a connection whose row is gone meanwhile must resume.
        await layer.group_send(connections.process_group(), {"type": "connection.check"})
    for channel in await in_db(connections.must_resync)(connections.PROCESS):
        try:
            await layer.send(channel, {"type": "connection.close", "code": Close.RESYNC})
        except ChannelFull:  # still full: the next sweep tries again
            pass
    outcome = await in_db(liveness.drop_stale)()
    await deliver(outcome.outbox)


async def run(interval: float, serving: bool = True) -> None:
    """Sweep every ``interval`` seconds; ``serving``: this process holds WebSockets."""
    if "InMemoryChannelLayer" in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        await in_db(liveness.forget_connections)()
    loop = asyncio.get_running_loop()
    pruned_at = loop.time()  # not at start: a restart loop must not prune each time
    while True:
        try:
            if serving:
                await watch_connections()
            await sweep_once()
            if loop.time() - pruned_at >= PRUNE_INTERVAL:
                pruned_at = loop.time()
                await in_db(prune)()
                # Each site's retention periods (docs/privacy.md), a few batches a minute.
                await in_db(retention.apply)()
                # A process that died before it ever vouched leaves rows no sweep finds.
                orphans = await in_db(liveness.drop_orphans)()
                await deliver(orphans.outbox)
        except Exception:  # a database hiccup must not stop the sweeper for good
            log.exception("sweep failed; trying again in %.1f s", interval)
        await asyncio.sleep(interval)
