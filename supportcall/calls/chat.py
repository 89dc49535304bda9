"""Chat in a call: text messages between its two parties, kept on the call record.

``send`` takes a message under the call's row lock, so each gets the next
``seq`` of its call and both parties see one order; it goes to both parties'
connections as ``chat.message``. ``typing`` is relayed and never stored (the
consumer relays it straight to the other party when it knows the route; this
is the database's way, which also says why it cannot be). ``replay`` is what a
resumed party gets again. Who may chat is the machine's rule (``machine.chat``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings

from supportcall.vocabulary import ErrorCode

from . import events, machine
from .change import Actor, Change, Delivery, Outcome, locked
from .machine import CallError, Party
from .models import Call, ChatMessage


def send(actor: Actor, call_id: uuid.UUID, *, text: str, client_id: str | None = None) -> Outcome:
    """A party's message: acknowledged with its ``seq`` and time, then sent to both parties.

    A ``client_id`` the sender already used on this call names the message it sent
    then (a retry after a drop, whose ack was lost): it is acknowledged again, not
    sent twice.
    """
    if not text.strip():
        raise CallError(ErrorCode.BAD_REQUEST, "'text' is empty")
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        machine.chat(change.call, actor.party, agent=actor.agent_id)
        said = ChatMessage.objects.filter(call=change.row)
        if client_id:
            earlier = said.filter(sender=actor.party, client_id=client_id).first()
            if earlier is not None:
                return Outcome(_ack(earlier))
        message = post(change, actor.party, text, client_id or "", channel=actor.channel)
    return Outcome(_ack(message), outbox)


def post(
    change: Change,
    sender: Party,
    text: str,
    client_id: str = "",
    *,
    channel: str = "",
    attach: Callable[[ChatMessage], object] | None = None,
) -> ChatMessage:
    """Put the next message of the locked call in its chat (``attach`` adds what it
    carries, a file), and send it to both parties (and to ``channel``, the sender's
    connection, if it is not the call's: an agent's other tab)."""
    said = ChatMessage.objects.filter(call=change.row)
    _check_room(said, sender, change)
    last = said.order_by("-seq").values_list("seq", flat=True).first() or 0
    message = ChatMessage.objects.create(
        call=change.row,
        seq=last + 1,
        sender=sender,
        display_name=_name(change, sender),
        text=text,
        client_id=client_id,
        sent=change.now,
    )
    if attach is not None:
        attach(message)
    for party in Party:
        change.send(party, events.chat_message(message, party))
    if channel and channel not in (change.row.caller_channel, change.row.agent_channel):
        # An agent's other tab: it sees what it sent as the call's connection does.
        change.outbox.append(Delivery(channel, events.chat_message(message, Party.AGENT)))
    return message


def _check_room(said, party: Party, change: Change) -> None:
    """The call's and the sender's limits (exact: the call's row is locked)."""
    limit = settings.SUPPORTCALL_CHAT_MESSAGES
    if said.count() >= limit:
        raise CallError(ErrorCode.RATE_LIMITED, f"this call holds at most {limit} chat messages")
    window = settings.SUPPORTCALL_CHAT_WINDOW
    since = change.now - timedelta(seconds=window)
    if said.filter(sender=party, sent__gt=since).count() >= settings.SUPPORTCALL_CHAT_RATE:
        raise CallError(
            ErrorCode.RATE_LIMITED,
            f"at most {settings.SUPPORTCALL_CHAT_RATE} chat messages every {window:g} s",
        )


def _name(change: Change, party: Party) -> str:
    row = change.row
    if party is Party.CALLER:
        return row.caller_display_name
    return change.agent(row.agent_id).name if row.agent_id else ""


def _ack(message: ChatMessage) -> dict[str, object]:
    return {"call_id": str(message.call_id), "seq": message.seq, "sent": message.sent.isoformat()}


def typing(actor: Actor, call_id: uuid.UUID, *, typing: bool) -> Outcome:
    """The sender starts or stops typing: the other party is told, nothing is kept."""
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        other = machine.chat(change.call, actor.party, agent=actor.agent_id)
        change.send(other, events.chat_typing(call_id, typing))
    return Outcome({"call_id": str(call_id)}, outbox)


def replay(row: Call, party: Party) -> list[dict]:
    """The chat so far for a party that resumed, oldest first: the newest
    SUPPORTCALL_CHAT_REPLAY messages (its client drops the ones it has by ``seq``),
    files with a link for ``party``."""
    newest = row.chat.select_related("file").order_by("-seq")[: settings.SUPPORTCALL_CHAT_REPLAY]
    return [events.chat_message(m, party) for m in reversed(list(newest))]
