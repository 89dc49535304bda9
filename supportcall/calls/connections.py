"""The connection lifecycle: authenticate, connect, drop, resume.

``authenticate`` turns the token of a WebSocket's first frame into a party:
it uses the token up, checks the site or the agent, connects or resumes, and
builds the ``hello``.

A party's WebSocket is a ``Connection`` row. A connection that closes (any
close but a client leaving with 1000 or 1001), or whose process dies, is
*dropped*: its row gets a grace deadline, the other party of each of its
calls hears ``reconnecting``, and a resume on any process within the grace
rebinds its calls to the new channel and replays them. A grace that runs out
is acted on by the sweeper (``lose``): the party's calls end
``connection_lost``, as they do at once when a client leaves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportcall.db import only_row
from supportcall.directory.models import Agent, Site
from supportcall.quality import reports
from supportcall.text import excerpt
from supportcall.tokens.ice import ice_config
from supportcall.tokens.issuing import Claims, InvalidToken, issue_resume, use, verify
from supportcall.tokens.models import IssuedToken
from supportcall.vocabulary import Close, Link, Reason, Role, State

from . import chat, distribution, events, machine, protocol, screen, wrapup
from .change import Actor, Change, Delivery, Outcome, each_locked, free_changed, locked
from .machine import LegStatus, Party, Phase
from .models import Call, Connection, Leg

# This server process: its sweeper vouches for every connection it holds in one row.
PROCESS = uuid.uuid4().hex


def process_group() -> str:
    """Every connection this process holds: told to go at shutdown (see asgi.py), or to check
    that it still speaks for its party after the process was taken for dead."""
    return f"process.{PROCESS}"


class Refused(Exception):
    """The WebSocket may not speak for anyone: close it with ``close``."""

    close: int = Close.UNAUTHORIZED


class Unauthorized(Refused):
    """No usable token: missing, forged, expired, used up, revoked or of the other kind;
    a resume whose connection's grace ran out; a user who is no longer an agent."""

    close = Close.UNAUTHORIZED


class Forbidden(Refused):
    """A visitor's site is disabled, or does not allow the WebSocket's Origin."""

    close = Close.FORBIDDEN


@dataclass(frozen=True)
class Session:
    """An authenticated connection: who it speaks for, its ``hello``, what connecting did."""

    actor: Actor
    hello: protocol.Event
    # Waiting calls that may ring this agent now; a resumed party's calls, replayed.
    # Deliver it after the hello.
    outcome: Outcome

    @property
    def replaced(self) -> str:
        """The channel of the connection a resume takes the place of ("" after a login):
        it may still be open somewhere (a half-dead TCP) and must be closed."""
        return self.outcome.result.get("replaced", "")


def authenticate(
    token: str, kind: str, origin: str | None, channel: str, host: str | None = None
) -> Session:
    """Let the connection on ``channel`` speak for the party a token names.

    ``kind`` is ``login`` (a token from a login endpoint) or ``resume`` (the
    last hello's resume token: the connection takes a dropped one's place, its
    calls come along). ``origin`` and ``host`` are the WebSocket's headers. A
    token is used up once the party may connect (a refused one stays usable
    where it belongs), and the hello carries a new resume token. Raises
    ``Unauthorized`` or ``Forbidden``: their ``close`` is the code to close the
    WebSocket with.
    """
    if not token:
        raise Unauthorized("the first frame must be an auth with a token")
    try:
        claims = verify(token, kind)
        agent_id = _check_party(claims, origin, host)
        use(claims, kind)
    except InvalidToken as e:
        raise Unauthorized(str(e)) from e
    actor = Actor(
        role=claims.role,
        identity=claims.identity,
        channel=channel,
        site_id=claims.site_id,
        agent_id=agent_id,
        targets=claims.targets,
        display_name=claims.display_name,
        context=claims.context,
        verified=claims.verified,
    )
    if kind == "resume":
        try:
            outcome = resume(actor, claims.replaces)
        except InvalidToken as e:
            raise Unauthorized(str(e)) from e
    else:
        outcome = connect(actor)
    hello = protocol.hello(
        actor.role,
        actor.identity,
        issue_resume(claims, channel),
        resume_grace=settings.SUPPORTCALL_RESUME_GRACE,
        ping_interval=settings.SUPPORTCALL_PING_INTERVAL,
        quality_interval=settings.SUPPORTCALL_QUALITY_INTERVAL,
        file_max_bytes=settings.SUPPORTCALL_UPLOAD_MAX_BYTES,
        ice=ice_config(actor.identity),
        **(_agent_hello(actor.agent) if actor.agent_id is not None else {}),
    )
    return Session(actor, hello, outcome)


def _agent_hello(agent_id: int) -> dict[str, Any]:
    """What an agent's hello says of it: its chosen presence, why away, its wrap-up."""
    presence, reason = Agent.objects.values_list("presence", "away_reason__label").get(pk=agent_id)
    return {
        "presence": presence,
        "away_reason": reason or "",
        "wrap_up": wrapup.current(agent_id, timezone.now()),
    }


def _check_party(claims: Claims, origin: str | None, host: str | None) -> int | None:
    """Whether the party may connect from here; an agent's id (None for a visitor)."""
    if claims.role == Role.VISITOR:
        site = only_row(Site.objects.filter(pk=claims.site_id or 0, enabled=True))
        if site is None or not site.allows_origin(origin):
            raise Forbidden(f"origin {excerpt(origin)} is not allowed for this site")
        return None
    if not own_origin(origin, host):
        raise Forbidden(f"origin {excerpt(origin)} is not this server's: agents use its dashboard")
    agent_id = Agent.objects.filter(user_id=claims.user_id or 0).values_list("pk", flat=True)
    if not agent_id:
        raise Unauthorized("the user is no longer an agent")
    return agent_id[0]


def own_origin(origin: str | None, host: str | None) -> bool:
    """Whether a page on ``origin`` is the server's own (its dashboard), for ``host``.

    A browser always sends ``Origin`` and cannot forge it or ``Host``: another
    site's page opening an agent's WebSocket is refused. The page's origin must
    name the host the WebSocket was opened to, as a same-origin page does, or
    be one of ``CSRF_TRUSTED_ORIGINS`` (a dashboard served from another name).
    Programs (the Python client) send no Origin and pass.
    """
    if origin is None:
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parts = urlsplit(origin.lower())
    return parts.scheme in ("http", "https") and parts.netloc == (host or "").lower() != ""


def connect(actor: Actor) -> Outcome:
    """A connection opened; an agent coming online is idle from now and may get waiting calls."""
    outbox: list[Delivery] = []
    if actor.agent_id is not None and not Connection.objects.filter(agent_id=actor.agent).exists():
        Agent.objects.filter(pk=actor.agent).update(idle_since=timezone.now())
        free_changed(outbox)  # online now
    _open(actor)
    if actor.agent_id is not None:
        distribution.settle(set(), outbox, {actor.agent})
    return Outcome({}, outbox)


def _open(actor: Actor) -> None:
    """A new row: every WebSocket has a channel of its own, authenticated once."""
    Connection.objects.create(
        channel_name=actor.channel,
        role=actor.role,
        identity=actor.identity,
        agent_id=actor.agent_id,
        process=PROCESS,
    )


def disconnect(actor: Actor, now: datetime | None = None, leaving: bool = False) -> Outcome:
    """A connection closed: its party may resume within the grace period (see ``resume``).

    Nothing ends yet: the connection's row gets a reconnect deadline the
    sweeper acts on, and the other party of each of its calls learns that
    this party is ``reconnecting``. A client ``leaving`` (it closed normally:
    logged out, closed the tab) is not coming back: its calls end at once.
    """
    outbox: list[Delivery] = []
    now = now or timezone.now()
    if leaving:
        gone = Connection.objects.filter(channel_name=actor.channel)
        gone.update(process="", grace_until=now - timedelta(microseconds=1))
        conn = gone.first()
        if conn is not None:
            distribution.settle(lose(conn, now, outbox), outbox)
        return Outcome({}, outbox)
    with transaction.atomic():
        # No process holds it any more: nothing may revive it (see keep_alive).
        Connection.objects.filter(channel_name=actor.channel).update(process="")
        row = Connection.objects.filter(
            channel_name=actor.channel, grace_until__isnull=True
        ).first()
        if row is not None:
            drop(row, now, outbox, why="closed")
    return Outcome({}, outbox)


def drop(conn: Connection, now: datetime, outbox: list[Delivery], why: str) -> None:
    grace = now + timedelta(seconds=settings.SUPPORTCALL_RESUME_GRACE)
    dropped = Connection.objects.filter(
        channel_name=conn.channel_name, grace_until__isnull=True
    ).update(grace_until=grace)
    if not dropped:  # another process's sweeper, or the consumer, got there first
        return
    for party in parties_of(conn):
        for row in calls_on(conn.channel_name, party):
            change = Change(row, conn.identity, outbox)
            until = grace.isoformat()
            change.log("connection_dropped", row.phase, party=party, why=why, until=until)
            tell_connection(change, party, Link.RECONNECTING)


# An agent's connection speaks for its calls and, as caller, for those it placed.
AGENT_SIDES = (Party.AGENT, Party.CALLER)


def parties_of(conn: Connection) -> tuple[Party, ...]:
    """The parties a connection speaks for: an agent's is also the caller of the calls it
    placed to colleagues."""
    return (Party.CALLER,) if conn.role == Role.VISITOR else AGENT_SIDES


def sides(actor: Actor) -> tuple[Party, ...]:
    """The parties a connection speaks for: an agent's is also the caller of the calls it
    placed to colleagues."""
    return (Party.CALLER,) if actor.role == Role.VISITOR else AGENT_SIDES


def calls_on(channel: str, party: Party) -> list[Call]:
    """The calls a connection speaks for (an agent's: only those it answered)."""
    calls = Call.objects.exclude(phase=Phase.ENDED)
    if party is Party.CALLER:
        return list(calls.filter(caller_channel=channel))
    return list(calls.filter(agent_channel=channel))


def tell_connection(change: Change, party: Party, link: Link) -> None:
    """Tell the other party whether ``party``'s signaling is ``reconnecting`` or ``connected``."""
    change.carry_out(machine.link(change.call, party, link))


def _actor_of(conn: Connection) -> Actor:
    return Actor(
        role=Role(conn.role),
        identity=conn.identity,
        channel=conn.channel_name,
        agent_id=conn.agent_id,
    )


def lose(conn: Connection, now: datetime, outbox: list[Delivery]) -> set[int]:
    """The grace ran out: the party's calls end `connection_lost`, its agent stops ringing there.

    Returns the queues worth a new look.
    """
    queues: set[int] = set()
    actor = _actor_of(conn)
    with transaction.atomic():
        gone = Connection.objects.filter(
            channel_name=conn.channel_name, grace_until__lt=now
        ).delete()[0]
        if not gone:  # resumed meanwhile, or another sweeper acted first
            return queues
        # Its resume token dies with the grace period (and is pruned like an expired one).
        IssuedToken.objects.filter(replaces=conn.channel_name).update(revoked=True, expires=now)
    for side in sides(actor):
        lost = Call.objects.exclude(phase=Phase.ENDED).order_by()  # usually none
        if side is Party.CALLER:
            lost = lost.filter(caller_channel=actor.channel)
        else:
            lost = lost.filter(agent_channel=actor.channel, phase=Phase.ANSWERED)
        for row in each_locked(lost):
            change = Change(row, actor.identity, outbox)
            step = machine.lose(change.call, side, agent=actor.agent_id)
            change.apply(step, Reason.CONNECTION_LOST)
            change.touch()
            queues |= change.queues
    party = actor.party
    if party is Party.AGENT and not Connection.objects.filter(agent_id=actor.agent).exists():
        free_changed(outbox)  # offline now
        ringing = Leg.objects.filter(agent_id=actor.agent, status=LegStatus.RINGING)
        for call_id in ringing.values_list("call_id", flat=True):
            with locked(call_id, actor, outbox) as change:
                step = machine.lose(change.call, party, agent=actor.agent)
                change.apply(step, Reason.CONNECTION_LOST, agent=actor.identity)
                change.touch()
                distribution.after_leg_ended(change)
                change.save()
                queues |= change.queues
    return queues


def resume(actor: Actor, replaces: str) -> Outcome:
    """A party comes back on a new connection (any process) in place of a dropped one.

    Its calls are rebound to the new channel, and each call's current state is
    replayed to it (``call.state`` with ``resumed: true``), with the re-offer
    still waiting for its answer and the operation in progress. Raises
    InvalidToken when the old connection's grace has run out.
    """
    outbox: list[Delivery] = []
    with transaction.atomic():
        old = (
            Connection.objects.select_for_update()
            .filter(channel_name=replaces, identity=actor.identity)
            .first()
        )
        if old is None:
            raise InvalidToken("the connection to resume is gone: its grace period ran out")
        was_dropped = old.grace_until is not None
        dropped_at = (old.grace_until or timezone.now()) - timedelta(
            seconds=settings.SUPPORTCALL_RESUME_GRACE
        )
        old.delete()
        _open(actor)
    for party in sides(actor):
        _rebind(actor, replaces, party, dropped_at, was_dropped, outbox)
    party = actor.party
    if party is Party.AGENT:
        # Calls still ringing at this agent: alert the new connection as at first.
        ringing = Call.objects.filter(
            phase=Phase.RINGING, legs__agent_id=actor.agent, legs__status=LegStatus.RINGING
        ).distinct()
        for row in ringing:
            outbox.append(Delivery(actor.channel, events.incoming(row)))
            outbox.append(Delivery(actor.channel, _resumed_state(row, party)))
            for candidate in row.caller_candidates:
                outbox.append(Delivery(actor.channel, events.candidate(row.id, candidate)))
    return Outcome({"replaced": replaces}, outbox)


def _rebind(
    actor: Actor,
    replaces: str,
    party: Party,
    dropped_at: datetime,
    was_dropped: bool,
    outbox: list[Delivery],
) -> None:
    """Rebind to ``actor``'s new connection the calls its old one spoke for as ``party``."""
    # Calls that ended while it was away: their end went to the dead channel.
    ended = Call.objects.filter(phase=Phase.ENDED, ended__gte=dropped_at)
    ended = ended.filter(
        **{"caller_channel" if party is Party.CALLER else "agent_channel": replaces}
    )
    for row in ended:
        reason = row.end_reason_for(party)
        event = events.resumed(events.state(row.id, State.ENDED, None, reason))
        outbox.append(Delivery(actor.channel, event))
    rebound = Call.objects.exclude(phase=Phase.ENDED)
    if party is Party.CALLER:
        rebound = rebound.filter(caller_channel=replaces)
    else:
        rebound = rebound.filter(agent_channel=replaces)
    for row in each_locked(rebound):
        change = Change(row, actor.identity, outbox)
        if party is Party.CALLER:
            row.caller_channel = actor.channel
        else:
            row.agent_channel = actor.channel
        if row.phase == Phase.ANSWERED:
            change.reroute(answered=True)  # both ends: the other party's and the new one
        change.save()
        if not was_dropped:
            change.log("connection_dropped", row.phase, party=party, why="replaced by a resume")
        change.log("resumed", row.phase, party=party)
        _replay(change, party)
        if not was_dropped:
            # The old connection died before its process noticed (or its process
            # died): the other party hears of the drop and the return together.
            tell_connection(change, party, Link.RECONNECTING)
        tell_connection(change, party, Link.CONNECTED)


def _resumed_state(row: Call, party: Party) -> dict[str, Any]:
    call = row.state()
    pending = call.pending
    return events.resumed(
        events.state(row.id, call.state_for(party), None),
        operation=(pending.op, pending.by is party) if pending is not None else None,
        answer_sdp=row.answer_sdp if party is Party.CALLER and row.phase == Phase.ANSWERED else "",
    )


def _replay(change: Change, party: Party) -> None:
    """What a resumed party needs to carry on: the state, the other's media, a waiting
    re-offer, the call's quality as last judged, the chat."""
    row = change.row
    change.send(party, _resumed_state(row, party))
    if row.phase != Phase.ANSWERED:
        return
    call = row.state()
    other = Connection.objects.filter(channel_name=row.channel_of(party.other)).first()
    away = other is None or other.grace_until is not None
    change.send(
        party,
        events.media(
            row.id,
            muted=party.other in call.muted,
            video=party.other in call.video,
            connection=Link.RECONNECTING if away else Link.CONNECTED,
        ),
    )
    if call.pending is not None and call.pending.by is party.other:
        change.send(party, events.offer(row.id, call.pending.op, row.op_sdp))
    for told in reports.replay(row, party):
        change.send(party, told)
    for message in chat.replay(row, party):
        change.send(party, message)
    for event in screen.replay(row, party):
        change.send(party, event)


def events_lost(channels: list[str], now: datetime | None = None) -> Outcome:
    """Events could not be queued for these connections: each must resume to catch up.

    Treated as a drop that no process may take back (see keep_alive); the
    process holding it closes it at its next sweep (``must_resync``), and the
    client's resume replays every call.
    """
    now = now or timezone.now()
    outbox: list[Delivery] = []
    for conn in Connection.objects.filter(channel_name__in=channels):
        Connection.objects.filter(channel_name=conn.channel_name).update(resync=True)
        drop(conn, now, outbox, why="events to it were lost (its channel was full)")
    return Outcome({}, outbox)


def must_resync(process: str) -> list[str]:
    """The channels of this process's connections that lost events: to be closed 4011."""
    return list(
        Connection.objects.filter(
            process=process, grace_until__isnull=False, resync=True
        ).values_list("channel_name", flat=True)
    )


def bound(channel: str) -> bool:
    """Whether this live connection still speaks for its party (not dropped, not replaced)."""
    return Connection.objects.filter(
        channel_name=channel, grace_until__isnull=True, process=PROCESS
    ).exists()
