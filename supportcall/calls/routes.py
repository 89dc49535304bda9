"""Where one connection's answered calls send their ICE candidates, known without the database.

Candidates are most of a call's signaling, and once a call is answered the
machine's rule for them is simple: each party's go to the other party
(``machine.relay``). A connection keeps, for each of its answered calls, the
other party's channel, told by the ``Change`` that makes it so (accept), moves
it (resume) or ends it (the end, or anything else that leaves the answered
phase): ``call.route`` messages on the channel layer, ordered by the call's
``route_version``. With a route known, a candidate is passed on at once; with
none (ringing, another tab of the agent, a message still on its way), the
request goes the database's way, which is always right.

This is the connection's own knowledge of its own calls (an attribute of its
consumer), not a registry: the database and the channel layer stay the only
state shared between connections and processes.
"""

from __future__ import annotations

from typing import Any

# Calls a connection remembers: its open calls (a handful) and, for about as long as a
# late message could still arrive, the ones that ended, so that no late route revives one.
REMEMBERED = 64


class Routes:
    def __init__(self) -> None:
        self._known: dict[str, tuple[int, str]] = {}  # call id -> (version, peer channel)

    def learn(self, route: dict[str, Any]) -> None:
        """A ``Change.reroute`` message: kept unless an as new or newer one came first."""
        call_id, version, peer = route["call_id"], route["version"], route["peer"]
        known = self._known.get(call_id)
        if known is not None and known[0] >= version:
            return
        self._known.pop(call_id, None)
        self._known[call_id] = (version, peer)  # newest last: the oldest go first
        while len(self._known) > REMEMBERED:
            del self._known[next(iter(self._known))]

    def peer(self, call_id: str) -> str:
        """The channel this call's candidates go to, or "" when the database must say."""
        known = self._known.get(call_id)
        return known[1] if known is not None else ""
