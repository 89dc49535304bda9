"""The embedded channel layer: Channels' in-memory layer, swept less often.

Channels' ``InMemoryChannelLayer`` looks through every channel and every group for
expired messages and memberships on each ``send`` and ``receive``: its cost per message
grows with the connections (a burst paid it on every event; docs/performance.md). Here
that sweep runs at most once per ``SWEEP_SECONDS``. A message may so outlive its expiry
(60 s) by that much before it is dropped, and a membership its group expiry (a day).
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_SECONDS = 1.0


class SweptInMemoryChannelLayer(InMemoryChannelLayer):
    """``InMemoryChannelLayer`` whose expiry sweep runs at most once a ``SWEEP_SECONDS``."""

    _swept = float("-inf")
    clock = staticmethod(time.monotonic)

    def _clean_expired(self) -> None:
        now = self.clock()
        if now - self._swept >= SWEEP_SECONDS:
            self._swept = now
            super()._clean_expired()
