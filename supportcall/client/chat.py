"""A call's chat, as the client keeps it: the messages in ``seq`` order, once each.

The server sends every message (the party's own too) as ``chat.message`` and
replays the chat to a party that resumes: ``Chat.take`` keeps each ``seq``
once, in order, so a resume never doubles or reorders a message. The chat is
bounded (``MAX_MESSAGES``, above the server's own default limit per call) and
goes with its call.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

# The server keeps at most SUPPORTCALL_CHAT_MESSAGES (default 500) per call.
MAX_MESSAGES = 1000


@dataclass(frozen=True)
class ChatMessage:
    """One message of a call's chat, as the server numbered it."""

    seq: int
    sender: str  # "caller" or "agent"
    display_name: str
    text: str
    sent: str  # ISO 8601, the server's time
    client_id: str | None = None
    # A file sent in the chat: name, size, content_type, image, url (this party's
    # download link); None for a text message, or a file no longer kept.
    file: dict[str, Any] | None = None

    @classmethod
    def of(cls, event: dict[str, Any]) -> ChatMessage:
        return cls(
            seq=int(event["seq"]),
            sender=str(event.get("sender", "")),
            display_name=str(event.get("display_name", "")),
            text=str(event.get("text", "")),
            sent=str(event.get("sent", "")),
            client_id=event.get("client_id"),
            file=event.get("file"),
        )


class Chat:
    """The messages so far, ordered by ``seq``, each once."""

    def __init__(self) -> None:
        self._messages: list[ChatMessage] = []
        self._seqs: list[int] = []

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        return tuple(self._messages)

    def take(self, event: dict[str, Any]) -> ChatMessage | None:
        """The new message a ``chat.message`` brings, or None if it is one already had."""
        message = ChatMessage.of(event)
        at = bisect.bisect_left(self._seqs, message.seq)
        if at < len(self._seqs) and self._seqs[at] == message.seq:
            return None
        self._seqs.insert(at, message.seq)
        self._messages.insert(at, message)
        if len(self._messages) > MAX_MESSAGES:
            del self._messages[0], self._seqs[0]
        return message
