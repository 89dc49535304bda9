"""The call state machine: pure code, no ORM and no I/O.

A call has two parties, the caller (an anonymous visitor) and the agent side.
The call itself is in one *phase*; what each party sees, its *state*, is
derived from the phase and from who holds the call, never stored twice.

Every function here takes a ``Call`` and returns a ``Step`` (the new call and
what happened), or raises ``CallError`` before anything changes. The services
layer loads a call row, runs one function, and saves the result atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from supportcall.vocabulary import (
    AGENT_OPS,
    REOFFER_OPS,
    VIDEO_OPS,
    Media,
    Op,
    Reason,
    State,
)


class Party(StrEnum):
    CALLER = "caller"
    AGENT = "agent"

    @property
    def other(self) -> Party:
        return Party.AGENT if self is Party.CALLER else Party.CALLER


class Phase(StrEnum):
    INITIATED = "initiated"
    QUEUED = "queued"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class CallError(Exception):
    """A request the call cannot take; ``code`` is one of the contract's error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Pending:
    """A re-offer operation waiting for the other party's answer."""

    op: Op
    by: Party


@dataclass(frozen=True)
class Call:
    phase: Phase
    media: Media
    held: frozenset[Party] = frozenset()  # who has put the call on hold
    muted: frozenset[Party] = frozenset()  # who does not send audio
    video: frozenset[Party] = frozenset()  # who sends video
    pending: Pending | None = None

    def state_for(self, party: Party) -> State:
        if self.phase is not Phase.ANSWERED:
            return State(self.phase.value)
        mine, theirs = party in self.held, party.other in self.held
        if mine and theirs:
            return State.ON_DOUBLE_HOLD
        if mine:
            return State.ON_HOLD
        if theirs:
            return State.REMOTELY_HELD
        return State.IN_CALL


@dataclass(frozen=True)
class Step:
    """The outcome of one transition."""

    call: Call
    # For whom the call ended (a whole call, or only the agent's ringing leg), and why.
    ended: dict[Party, Reason] = field(default_factory=dict)
    # The operation this step finished, and whether it succeeded.
    finished: Op | None = None
    ok: bool = True
    code: str = ""
    # The pending operation this step cut short (the call ended under it).
    aborted: Pending | None = None


def start(media: Media) -> Call:
    """A call the caller just created."""
    return Call(
        phase=Phase.INITIATED,
        media=media,
        video=frozenset({Party.CALLER}) if media is Media.VIDEO else frozenset(),
    )


def check(call: Call, party: Party, op: Op, *, video: bool = False) -> None:
    """Raise CallError if ``party`` may not start ``op`` on ``call`` now."""
    if op in AGENT_OPS and party is Party.CALLER:
        raise CallError("forbidden", f"a caller cannot {op} a call")
    if call.phase is Phase.ENDED:
        raise CallError("invalid_state", "the call has ended")
    # Hanging up is never blocked: a stuck re-offer must not trap anyone in a call.
    if call.pending is not None and op is not Op.END:
        raise CallError("operation_in_progress", f"a {call.pending.op} is in progress on this call")
    if op in VIDEO_OPS and call.media is Media.AUDIO_SINGLE:
        raise CallError(
            "not_supported", "this call has a single audio m-line; it cannot carry video"
        )
    if op is Op.ACCEPT and video and call.media is not Media.VIDEO:
        raise CallError(
            "not_supported", "the caller offered no video: accept with audio, then start video"
        )
    state = call.state_for(party)
    allowed = {
        Op.ACCEPT: state is State.RINGING,
        Op.REJECT: state is State.RINGING,
        Op.IGNORE: state is State.RINGING,
        Op.FORWARD: state is State.RINGING,
        Op.END: party is Party.CALLER or call.phase in (Phase.RINGING, Phase.ANSWERED),
        Op.HOLD: state in (State.IN_CALL, State.REMOTELY_HELD),
        Op.UNHOLD: state in (State.ON_HOLD, State.ON_DOUBLE_HOLD),
        Op.VIDEO_START: state is State.IN_CALL and party not in call.video,
        Op.VIDEO_STOP: state is State.IN_CALL and party in call.video,
        Op.MUTE: call.phase is Phase.ANSWERED and party not in call.muted,
        Op.UNMUTE: call.phase is Phase.ANSWERED and party in call.muted,
        # A network change may come at any time, held or not: media must come back.
        Op.RESTART_MEDIA: call.phase is Phase.ANSWERED,
    }[op]
    if not allowed:
        raise CallError("invalid_state", f"cannot {op} a call that is {state}")


def request(
    call: Call, party: Party, op: Op, *, video: bool = False, others_ringing: bool = False
) -> Step:
    """``party`` starts ``op``.

    Re-offer operations become pending until ``answer``; the others finish at
    once. ``others_ringing`` says whether other agents are still being rung,
    so that one agent's reject does not end a call someone else may answer.
    """
    check(call, party, op, video=video)
    if op in REOFFER_OPS:
        return Step(replace(call, pending=Pending(op, party)))
    if op is Op.ACCEPT:
        sends_video = call.video | {Party.AGENT} if video else call.video
        return Step(replace(call, phase=Phase.ANSWERED, video=sends_video), finished=op)
    if op is Op.REJECT or (op is Op.END and call.phase is Phase.RINGING and party is Party.AGENT):
        if others_ringing:
            return Step(call, ended={Party.AGENT: Reason.REJECTED}, finished=op)
        return _end(call, {Party.AGENT: Reason.REJECTED, Party.CALLER: Reason.REJECTED}, op)
    if op is Op.IGNORE:
        # The caller is not told: the call rings on until someone answers or it times out.
        return Step(call, ended={Party.AGENT: Reason.IGNORED}, finished=op)
    if op is Op.FORWARD:
        return Step(call, ended={Party.AGENT: Reason.FORWARDED}, finished=op)
    if op is Op.END:
        if call.phase is Phase.ANSWERED:
            reasons = {party: Reason.ENDED_BY_LOCAL, party.other: Reason.ENDED_BY_REMOTE}
        else:
            reasons = {Party.CALLER: Reason.ENDED_BY_LOCAL, Party.AGENT: Reason.CANCELLED}
        return _end(call, reasons, op)
    if op is Op.MUTE:
        return Step(replace(call, muted=call.muted | {party}), finished=op)
    assert op is Op.UNMUTE
    return Step(replace(call, muted=call.muted - {party}), finished=op)


def answer(call: Call, party: Party) -> Step:
    """``party`` answers the other party's re-offer: the pending operation takes effect."""
    pending = call.pending
    if call.phase is Phase.ENDED:
        raise CallError("invalid_state", "the call has ended")
    if pending is None or pending.by is party:
        raise CallError("invalid_state", "there is no re-offer for you to answer on this call")
    by = frozenset({pending.by})
    changed = {
        Op.HOLD: {"held": call.held | by},
        Op.UNHOLD: {"held": call.held - by},
        Op.VIDEO_START: {"video": call.video | by},
        Op.VIDEO_STOP: {"video": call.video - by},
        Op.RESTART_MEDIA: {},  # the same media on new ICE candidates
    }[pending.op]
    return Step(replace(call, pending=None, **changed), finished=pending.op)  # type: ignore[arg-type]


def expire(call: Call) -> Step:
    """The pending re-offer was not answered in time: it fails and nothing changes."""
    if call.pending is None:
        raise CallError("invalid_state", "no operation is pending")
    return Step(replace(call, pending=None), finished=call.pending.op, ok=False, code="timeout")


def ring(call: Call) -> Step:
    """Routing found agents to alert."""
    if call.phase not in (Phase.INITIATED, Phase.QUEUED, Phase.RINGING):
        raise CallError("invalid_state", f"cannot ring a call that is {call.phase}")
    return Step(replace(call, phase=Phase.RINGING))


def enqueue(call: Call) -> Step:
    """Nobody is free: the caller waits in the queue."""
    if call.phase not in (Phase.INITIATED, Phase.RINGING):
        raise CallError("invalid_state", f"cannot queue a call that is {call.phase}")
    return Step(replace(call, phase=Phase.QUEUED))


def give_up(call: Call, reason: Reason) -> Step:
    """Routing ends an unanswered call: ``no_agents`` or ``no_answer``."""
    if call.phase not in (Phase.INITIATED, Phase.QUEUED, Phase.RINGING):
        raise CallError("invalid_state", f"cannot give up on a call that is {call.phase}")
    return _end(call, {Party.CALLER: reason, Party.AGENT: reason})


def lose(call: Call, party: Party) -> Step:
    """``party`` vanished and did not come back: the call ends for both."""
    if call.phase is Phase.ENDED:
        raise CallError("invalid_state", "the call has ended")
    return _end(call, {party: Reason.CONNECTION_LOST, party.other: Reason.CONNECTION_LOST})


def _end(call: Call, reasons: dict[Party, Reason], op: Op | None = None) -> Step:
    return Step(
        replace(call, phase=Phase.ENDED, pending=None),
        ended=reasons,
        finished=op,
        aborted=call.pending,
    )
