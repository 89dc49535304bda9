"""Small hooks on the frames between the real server and one client.

A concurrent server may deliver frames in orders a quiet test run never
shows; these hooks make such orders happen on purpose, in front of the
client, while the server itself stays the real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from supportcall.client import Client

Frame = dict[str, Any]
Match = Callable[[Frame], bool]


class Frames:
    """Drops or holds back the server's frames to ``client``, and records what it sends."""

    def __init__(self, client: Client) -> None:
        signaling = client.signaling
        self.sent: list[Frame] = []
        self._drops: list[Match] = []
        self._held: list[tuple[Match, Match, list[Frame]]] = []
        self._deliver = signaling._on_frame
        send_text = signaling.send_text

        async def recording_send_text(text: str) -> None:
            try:
                self.sent.append(json.loads(text))
            except ValueError:
                self.sent.append({"raw": text})
            await send_text(text)

        signaling._on_frame = self._on_frame  # type: ignore[method-assign]
        signaling.send_text = recording_send_text  # type: ignore[method-assign]

    def drop(self, match: Match) -> None:
        """Drop every frame that matches, from now on."""
        self._drops.append(match)

    def stop_dropping(self) -> None:
        self._drops.clear()

    def hold_back(self, frame: Match, until: Match) -> None:
        """Keep frames matching ``frame`` back until one matching ``until`` was
        delivered, then deliver them right after it (once)."""
        self._held.append((frame, until, []))

    def _on_frame(self, message: Frame) -> None:
        if any(match(message) for match in self._drops):
            return
        for entry in self._held:
            frame, _until, kept = entry
            if frame(message):
                kept.append(message)
                return
        self._deliver(message)
        for entry in list(self._held):
            _frame, until, kept = entry
            if until(message):
                self._held.remove(entry)
                for held in kept:
                    self._deliver(held)
