"""Which server processes are alive, and what becomes of the connections of those that are not.

Each process vouches for every connection it holds with one row
(``ServerProcess``), refreshed by its sweeper (``keep_alive``): one write a
sweep, however many are connected. A row gone stale means its process was
killed: any sweeper drops its connections (``drop_stale``), as a closed
WebSocket is dropped (``connections.drop``), and their parties may resume on
another process within the grace.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportcall.vocabulary import Link, Reason

from . import machine
from .change import SYSTEM, Change, Delivery, Outcome, each_locked
from .connections import PROCESS, calls_on, drop, parties_of, tell_connection
from .machine import Party, Phase
from .models import Call, Connection, ServerProcess


def register(process: str, now: datetime | None = None) -> None:
    """A process starts serving: its row exists before any connection points at it."""
    ServerProcess.objects.update_or_create(
        id=process, defaults={"last_seen": now or timezone.now()}
    )


def retire(process: str) -> None:
    """A process stops serving: its row goes, unless it still holds connections (they are
    then dropped once the row is stale, as if it had died)."""
    if not Connection.objects.filter(process=process).exists():
        ServerProcess.objects.filter(id=process).delete()


def keep_alive(process: str, now: datetime | None = None) -> Outcome:
    """This process still holds its connections: its one row says so for all of them.

    One write a sweep, however many are connected (see ``drop_stale``). If
    another sweeper took the process for dead while it was too busy to vouch
    (its row is gone), its connections still within their grace are alive
    after all: the other party learns they are ``connected`` again. The
    result's ``revived`` says so; a consumer whose row did not survive must
    then find out (see ``bound``).
    """
    now = now or timezone.now()
    if ServerProcess.objects.filter(id=process).update(last_seen=now):
        return Outcome()
    outbox: list[Delivery] = []
    with transaction.atomic():
        register(process, now)
        revived = Connection.objects.filter(
            process=process, grace_until__isnull=False, resync=False
        )
        for conn in revived:
            if Connection.objects.filter(channel_name=conn.channel_name, process=process).update(
                grace_until=None
            ):
                for party in parties_of(conn):
                    for row in calls_on(conn.channel_name, party):
                        change = Change(row, conn.identity, outbox)
                        change.log("connection_back", row.phase, party=party)
                        tell_connection(change, party, Link.CONNECTED)
    return Outcome({"revived": True}, outbox)


def drop_stale(now: datetime | None = None) -> Outcome:
    """The connections of processes whose row went stale (they were killed) count as dropped.

    The stale row is locked while its connections are dropped, then deleted:
    a process that was only slow waits on the lock, finds its row gone, and
    takes its connections back (``keep_alive``).
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    cutoff = now - timedelta(seconds=settings.SUPPORTCALL_PROCESS_TIMEOUT)
    for process in ServerProcess.objects.filter(last_seen__lt=cutoff).values_list("id", flat=True):
        with transaction.atomic():
            stale = ServerProcess.objects.select_for_update().filter(
                id=process, last_seen__lt=cutoff
            )
            if not stale.exists():  # it vouched meanwhile, or another sweeper acted first
                continue
            for conn in Connection.objects.filter(process=process, grace_until__isnull=True):
                drop(conn, now, outbox, why="its server process stopped")
            stale.delete()
    return Outcome({}, outbox)


def drop_orphans(now: datetime | None = None) -> Outcome:
    """Live connections of a process that has no row at all (it died before it vouched):
    housekeeping, once a minute, since a process registers before it serves."""
    now = now or timezone.now()
    outbox: list[Delivery] = []
    cutoff = now - timedelta(seconds=settings.SUPPORTCALL_PROCESS_TIMEOUT)
    orphans = Connection.objects.filter(grace_until__isnull=True, opened__lt=cutoff).exclude(
        process__in=ServerProcess.objects.values("id")
    )
    for conn in orphans:
        drop(conn, now, outbox, why="its server process stopped")
    return Outcome({}, outbox)


def forget_connections() -> Outcome:
    """After a restart of the only process (the in-memory channel layer), nobody is connected.

    Its calls lost both parties with it: they end `connection_lost`, so no
    record stays open and no stale agent is rung.
    """
    Connection.objects.all().delete()
    ServerProcess.objects.exclude(id=PROCESS).delete()
    for row in each_locked(Call.objects.exclude(phase=Phase.ENDED)):
        change = Change(row, SYSTEM, [])
        change.apply(
            machine.lose(change.call, Party.CALLER), Reason.CONNECTION_LOST, why="server restart"
        )
    return Outcome({}, [])  # their channels died with the old process
