"""The call state machine: pure code, no ORM and no I/O.

A call has two sides: the caller (an anonymous visitor, or an agent calling a colleague)
and the agent side.
Until someone answers, the agent side is the agents being rung, one *leg*
each (ringing, then answered or ended with a reason); once answered it is the
agent who answered. The call itself is in one *phase*; what each party sees,
its *state*, is derived from the phase, who holds the call and the legs,
never stored twice.

Every function here takes a ``CallState`` and returns a ``Step``: the new call
and what must happen because of it, as data (``Tell`` who which state,
``StopLeg`` and ``Ring`` for the legs, ``Answered``, ``TellMedia``). It raises
``CallError`` before anything changes. ``change.Change`` loads a call row,
runs one function and carries the effects out; it decides nothing.

Routing *choices* (who is free, by which strategy) need the database and stay
in ``distribution``: the machine is handed the chosen agents (``ring``) and
says what follows. Agents are named by their ids.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from supportcall.vocabulary import (
    AGENT_OPS,
    CONNECTED_STATES,
    REOFFER_OPS,
    SCREEN_OPS,
    VIDEO_OPS,
    ErrorCode,
    Link,
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


class TransferStage(StrEnum):
    """Where a blind transfer stands (``call.transfer``)."""

    OFFER = "offer"  # waiting for the caller's fresh offer (``call.fresh_offer``)
    RINGING = "ringing"  # the target is being rung with it
    BACK = "back"  # nobody took it: ringing the agent who transferred it again


class LegStatus(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


# Operations that hand a visitor's call on: a call between agents (``from_agent``) has none.
HANDING_OPS = frozenset({Op.FORWARD, Op.TRANSFER, Op.CONSULT})

# Legs that ended so: the call is not offered to these agents again.
DECLINING = frozenset({Reason.REJECTED, Reason.IGNORED})


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
class Leg:
    """One agent rung for the call, and how that ended for the agent."""

    agent: int
    status: LegStatus = LegStatus.RINGING
    reason: Reason | None = None


@dataclass(frozen=True)
class Transfer:
    """A blind transfer going on: who handed the call on, and how far it got."""

    by: int
    stage: TransferStage = TransferStage.OFFER
    # A consult's completion (call.complete): the target agreed on the consult call, so
    # it is rung whatever its availability, and its client answers at once.
    warm: bool = False


@dataclass(frozen=True)
class CallState:
    """One call, as the machine sees it."""

    phase: Phase
    media: Media
    held: frozenset[Party] = frozenset()  # who has put the call on hold
    muted: frozenset[Party] = frozenset()  # who does not send audio
    video: frozenset[Party] = frozenset()  # who sends video
    pending: Pending | None = None
    screen: bool = False  # the caller shares its screen
    # Routed through a queue: when nobody rings any more, it is offered on (a direct call
    # rings its ring deadline out).
    via_queue: bool = False
    legs: tuple[Leg, ...] = ()  # in the order they were rung
    transfer: Transfer | None = None
    from_agent: bool = False  # the caller is an agent calling a colleague
    consult: bool = False  # ... about a call it holds (call.create's consult_of)

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

    @property
    def ringing(self) -> tuple[int, ...]:
        """The agents being rung now."""
        return tuple(leg.agent for leg in self.legs if leg.status is LegStatus.RINGING)

    @property
    def agent(self) -> int | None:
        """The agent who answered, if anyone did."""
        return next((leg.agent for leg in self.legs if leg.status is LegStatus.ANSWERED), None)

    def seen_by(self, agent: int) -> State | None:
        """What ``agent`` sees of the call, or None if it is not (or no longer) its call."""
        if agent == self.agent:
            return self.state_for(Party.AGENT)
        return State.RINGING if agent in self.ringing else None

    @property
    def needs_agents(self) -> bool:
        """A queue call that nobody rings any more: routing must offer it on or let it wait."""
        return (
            self.phase is Phase.RINGING
            and self.via_queue
            and not self.ringing
            and self.transfer is None
        )

    @property
    def transfer_unanswered(self) -> bool:
        """A transfer whose target rings no more and nobody took it: it falls back."""
        return (
            self.phase is Phase.RINGING
            and self.transfer is not None
            and self.transfer.stage is TransferStage.RINGING
            and not self.ringing
        )

    @property
    def declined(self) -> frozenset[int]:
        """Agents who rejected or ignored the call."""
        return frozenset(leg.agent for leg in self.legs if leg.reason in DECLINING)

    @property
    def missed(self) -> frozenset[int]:
        """Agents who let the call ring out."""
        return frozenset(leg.agent for leg in self.legs if leg.reason is Reason.NO_ANSWER)


# --- effects: what a step says must happen --------------------------------------------------


@dataclass(frozen=True)
class Tell:
    """Send a ``call.state``: to a party (its connection), or to a rung agent (all its tabs)."""

    to: Party | int
    state: State
    previous: State | None
    reason: Reason | None = None
    but_actor: bool = False  # not to the connection that sent the request


@dataclass(frozen=True)
class Ring:
    """``agent`` starts ringing: a new leg, and the caller's offer to each of its tabs."""

    agent: int


@dataclass(frozen=True)
class StopLeg:
    """``agent``'s ringing leg ends for ``reason``."""

    agent: int
    reason: Reason


@dataclass(frozen=True)
class Answered:
    """``agent``'s leg answered: it is the agent side of the call from now on."""

    agent: int


@dataclass(frozen=True)
class TellMedia:
    """Tell party ``to`` what the other party sends (``call.media``), and its link if it changed."""

    to: Party
    muted: bool
    video: bool
    link: Link | None = None


@dataclass(frozen=True)
class HandedOn:
    """``agent``'s answered leg ends ``transferred``: the agent side is nobody's for now."""

    agent: int


@dataclass(frozen=True)
class AskOffer:
    """Ask the caller for a fresh offer (``call.reoffer``): its first one is stale."""

    kind: Op


@dataclass(frozen=True)
class TellScreen:
    """Tell the agent whether the caller shares its screen now (``call.screen``)."""

    sharing: bool


Effect = Tell | Ring | StopLeg | Answered | TellMedia | HandedOn | AskOffer | TellScreen


@dataclass(frozen=True)
class Step:
    """The outcome of one transition: the new call and its effects, in the order to carry out."""

    call: CallState
    effects: tuple[Effect, ...] = ()
    # The operation this step finished, and whether it succeeded.
    finished: Op | None = None
    ok: bool = True
    code: str = ""
    # The pending operation this step cut short (the call ended under it).
    aborted: Pending | None = None

    def reason_for(self, party: Party) -> Reason | None:
        """Why the call ended for ``party`` in this step (None if it did not)."""
        for effect in self.effects:
            if isinstance(effect, Tell) and effect.to is party and effect.state is State.ENDED:
                return effect.reason
        return None


# --- transitions -----------------------------------------------------------------------------


def start(
    media: Media, *, via_queue: bool = False, from_agent: bool = False, consult: bool = False
) -> Step:
    """A call the caller just created (``from_agent``: an agent calling a colleague, about
    a call it holds if ``consult``)."""
    call = CallState(
        phase=Phase.INITIATED,
        media=media,
        video=frozenset({Party.CALLER}) if media is Media.VIDEO else frozenset(),
        via_queue=via_queue,
        from_agent=from_agent,
        consult=consult,
    )
    return Step(call, (Tell(Party.CALLER, State.INITIATED, None),))


def check(
    call: CallState, party: Party, op: Op, *, agent: int | None = None, video: bool = False
) -> None:
    """Raise CallError if ``party`` (for the agent side: ``agent``) may not start ``op`` now."""
    if op in AGENT_OPS and party is Party.CALLER:
        raise CallError(ErrorCode.FORBIDDEN, f"a caller cannot {op} a call")
    if op in SCREEN_OPS and party is Party.AGENT:
        raise CallError(
            ErrorCode.FORBIDDEN, f"only the visitor can {op}: ask with screen.ask instead"
        )
    if call.from_agent and op in HANDING_OPS:
        raise CallError(ErrorCode.NOT_SUPPORTED, f"a call between agents is not handed on ({op})")
    if op is Op.COMPLETE and not call.consult:
        raise CallError(ErrorCode.INVALID_STATE, "only a consult call can be completed")
    if op is Op.COMPLETE and party is Party.AGENT:
        raise CallError(ErrorCode.FORBIDDEN, "only the agent who consults completes the consult")
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    # Hanging up is never blocked: a stuck re-offer must not trap anyone in a call.
    if call.pending is not None and op is not Op.END:
        raise CallError(
            ErrorCode.OPERATION_IN_PROGRESS, f"a {call.pending.op} is in progress on this call"
        )
    if op in VIDEO_OPS and call.media is Media.AUDIO_SINGLE:
        raise CallError(
            ErrorCode.NOT_SUPPORTED, "this call has a single audio m-line; it cannot carry video"
        )
    if op is Op.ACCEPT and video and call.media is not Media.VIDEO:
        raise CallError(
            ErrorCode.NOT_SUPPORTED,
            "the caller offered no video: accept with audio, then start video",
        )
    state = call.state_for(party) if party is Party.CALLER else call.seen_by(_agent_id(agent))
    if state is None:
        raise CallError(ErrorCode.INVALID_STATE, _not_yours(call, op))
    allowed = {
        Op.ACCEPT: state is State.RINGING,
        Op.REJECT: state is State.RINGING,
        Op.IGNORE: state is State.RINGING,
        Op.FORWARD: state is State.RINGING,
        Op.TRANSFER: state in CONNECTED_STATES,
        # The caller waits on hold while its agent consults a colleague.
        Op.CONSULT: state in (State.ON_HOLD, State.ON_DOUBLE_HOLD),
        Op.COMPLETE: state in CONNECTED_STATES,
        Op.END: party is Party.CALLER or state is State.RINGING or state in CONNECTED_STATES,
        Op.HOLD: state in (State.IN_CALL, State.REMOTELY_HELD),
        Op.UNHOLD: state in (State.ON_HOLD, State.ON_DOUBLE_HOLD),
        Op.VIDEO_START: state is State.IN_CALL and party not in call.video,
        Op.VIDEO_STOP: state is State.IN_CALL and party in call.video,
        Op.SCREEN_START: state is State.IN_CALL and not call.screen,
        # Stopping is never blocked by a hold: the browser's own "Stop sharing" may come then.
        Op.SCREEN_STOP: state in CONNECTED_STATES and call.screen,
        Op.MUTE: call.phase is Phase.ANSWERED and party not in call.muted,
        Op.UNMUTE: call.phase is Phase.ANSWERED and party in call.muted,
        # A network change may come at any time, held or not: media must come back.
        Op.RESTART_MEDIA: call.phase is Phase.ANSWERED,
    }[op]
    if not allowed:
        raise CallError(ErrorCode.INVALID_STATE, f"cannot {op} a call that is {state}")


def _agent_id(agent: int | None) -> int:
    if agent is None:
        raise ValueError("the agent side acts through one agent: pass agent=")
    return agent


def _not_yours(call: CallState, op: Op) -> str:
    if call.phase is Phase.ANSWERED:
        return "another agent answered this call"
    if call.phase is Phase.RINGING:
        return "this call is no longer ringing for you"
    return f"cannot {op} a call that is {call.phase}"


def request(
    call: CallState,
    party: Party,
    op: Op,
    *,
    agent: int | None = None,
    video: bool = False,
    to_queue: bool = False,
) -> Step:
    """``party`` starts ``op``; on the agent side, ``agent`` is the agent acting.

    Re-offer operations become pending until ``answer``; the others finish at
    once. ``video``: an accept that sends video too. ``to_queue``: a forward to
    a queue (else to an agent). ``consult`` and ``complete`` have functions of their own.
    """
    if op in (Op.CONSULT, Op.COMPLETE):
        raise ValueError(f"{op} involves two calls: use machine.{op}")
    check(call, party, op, agent=agent, video=video)
    if op in REOFFER_OPS:
        return Step(replace(call, pending=Pending(op, party)))
    if op is Op.ACCEPT:
        return _accept(call, _agent_id(agent), video)
    if op is Op.REJECT or (op is Op.END and party is Party.AGENT and call.phase is Phase.RINGING):
        # An agent hanging up a call still ringing at it rejects it.
        return _leg_ends(call, _agent_id(agent), Reason.REJECTED, op, lone=Reason.REJECTED)
    if op is Op.IGNORE:
        # The caller is not told: the call rings on until someone answers or it times out.
        return _leg_ends(call, _agent_id(agent), Reason.IGNORED, op)
    if op is Op.FORWARD:
        mine, effects = _stop(call, [_agent_id(agent)], Reason.FORWARDED)
        # Whoever else was being rung: the call is in other hands now.
        others, more = _stop(mine, mine.ringing, Reason.ANSWERED_ELSEWHERE)
        return _step(call, replace(others, via_queue=to_queue), effects + more, finished=op)
    if op is Op.TRANSFER:
        return _transfer(call, _agent_id(agent), to_queue)
    if op is Op.END:
        if call.phase is Phase.ANSWERED:
            reasons = {party: Reason.ENDED_BY_LOCAL, party.other: Reason.ENDED_BY_REMOTE}
        else:
            reasons = {Party.CALLER: Reason.ENDED_BY_LOCAL, Party.AGENT: Reason.CANCELLED}
        return _end(call, reasons, op)
    assert op in (Op.MUTE, Op.UNMUTE)
    muted = call.muted | {party} if op is Op.MUTE else call.muted - {party}
    after = replace(call, muted=muted)
    return Step(after, (_media_of(after, party),), finished=op)


def consult(call: CallState, agent: int, *, consulting: bool) -> Step:
    """``agent``, who answered ``call`` and holds it, calls a colleague about it: nothing
    changes on this call (the consult is a call of its own, ``start(consult=True)``).
    ``consulting``: a consult about this call is going on already; one at a time."""
    check(call, Party.AGENT, Op.CONSULT, agent=agent)
    if consulting:
        raise CallError(
            ErrorCode.OPERATION_IN_PROGRESS, "a consult about this call is going on already"
        )
    return Step(call, finished=Op.CONSULT)


def complete(consulted: CallState, held: CallState, agent: int) -> tuple[Step, Step]:
    """``agent`` completes its consult: the consult call ``consulted`` ends ``transferred``
    for both agents, and the call ``held`` (the caller it consulted about) is transferred
    warm to the colleague, who agreed and takes it at once. Returns both steps, the
    consult call's first."""
    check(consulted, Party.CALLER, Op.COMPLETE)
    check(held, Party.AGENT, Op.TRANSFER, agent=agent)
    over = _end(consulted, {Party.CALLER: Reason.TRANSFERRED, Party.AGENT: Reason.TRANSFERRED})
    return replace(over, finished=Op.COMPLETE), _transfer(held, agent, False, warm=True)


def _transfer(call: CallState, agent: int, to_queue: bool, warm: bool = False) -> Step:
    """The answered agent hands the call on: its leg ends ``transferred``, the caller waits
    (``ringing``) and is asked for a fresh offer; the target is rung once it comes."""
    legs = tuple(
        Leg(leg.agent, LegStatus.ENDED, Reason.TRANSFERRED)
        if leg.status is LegStatus.ANSWERED
        else leg
        for leg in call.legs
    )
    after = replace(
        call,
        phase=Phase.RINGING,
        held=frozenset(),
        muted=frozenset(),
        video=frozenset({Party.CALLER}) if call.media is Media.VIDEO else frozenset(),
        via_queue=to_queue,
        legs=legs,
        transfer=Transfer(agent, warm=warm),
        screen=False,  # its m-line goes with the caller's old peer connection
    )
    was = call.state_for(Party.AGENT)
    effects: tuple[Effect, ...] = (
        HandedOn(agent),
        Tell(agent, State.ENDED, was, Reason.TRANSFERRED),
    )
    return _step(call, after, effects, (AskOffer(Op.TRANSFER),), finished=Op.TRANSFER)


def fresh_offer(call: CallState, party: Party) -> Step:
    """The caller sent the fresh offer a transfer asked for: the target can be rung."""
    if party is not Party.CALLER:
        raise CallError(ErrorCode.FORBIDDEN, "only the caller sends a fresh offer")
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    if call.transfer is None or call.transfer.stage is not TransferStage.OFFER:
        raise CallError(ErrorCode.INVALID_STATE, "no fresh offer was asked for on this call")
    return Step(replace(call, transfer=replace(call.transfer, stage=TransferStage.RINGING)))


def transfer_back(call: CallState) -> Step:
    """Nobody took the transfer: whoever still rings stops, and the call goes back to the
    agent who transferred it (routing rings it: ``ring``)."""
    if call.phase is not Phase.RINGING or call.transfer is None:
        raise CallError(ErrorCode.INVALID_STATE, "no transfer is going on")
    if call.transfer.stage is TransferStage.BACK:
        raise CallError(ErrorCode.INVALID_STATE, "the transfer is back already")
    stopped, effects = _stop(call, call.ringing, Reason.NO_ANSWER)
    after = replace(
        stopped, via_queue=False, transfer=replace(call.transfer, stage=TransferStage.BACK)
    )
    return _step(call, after, effects)


def _accept(call: CallState, agent: int, video: bool) -> Step:
    # Everyone else being rung stops: the call was answered elsewhere.
    others, effects = _stop(
        call, [a for a in call.ringing if a != agent], Reason.ANSWERED_ELSEWHERE
    )
    legs = tuple(
        replace(leg, status=LegStatus.ANSWERED)
        if leg.agent == agent and leg.status is LegStatus.RINGING
        else leg
        for leg in others.legs
    )
    sends_video = call.video | {Party.AGENT} if video else call.video
    after = replace(others, phase=Phase.ANSWERED, video=sends_video, legs=legs, transfer=None)
    own_tabs = Tell(agent, State.ENDED, State.RINGING, Reason.ANSWERED_ELSEWHERE, but_actor=True)
    return _step(call, after, (Answered(agent), own_tabs, *effects), finished=Op.ACCEPT)


def _leg_ends(
    call: CallState, agent: int, reason: Reason, op: Op | None = None, lone: Reason | None = None
) -> Step:
    """``agent``'s leg ends. With ``lone``: a direct call nobody else rings ends so."""
    after, effects = _stop(call, [agent], reason)
    if after.transfer_unanswered:
        return _step(call, after, effects, finished=op)  # routing takes it back
    if lone is not None and not after.via_queue and not after.ringing:
        ended = _end(after, {Party.CALLER: lone, Party.AGENT: lone}, op)
        return replace(ended, effects=effects + ended.effects)
    return _step(call, after, effects, finished=op)


def answer(call: CallState, party: Party, *, agent: int | None = None) -> Step:
    """``party`` answers the other party's re-offer: the pending operation takes effect."""
    pending = call.pending
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    if party is Party.AGENT and call.phase is Phase.ANSWERED and _agent_id(agent) != call.agent:
        raise CallError(ErrorCode.INVALID_STATE, "another agent answered this call")
    if pending is None or pending.by is party:
        raise CallError(
            ErrorCode.INVALID_STATE, "there is no re-offer for you to answer on this call"
        )
    by = frozenset({pending.by})
    changed = {
        Op.HOLD: {"held": call.held | by},
        Op.UNHOLD: {"held": call.held - by},
        Op.VIDEO_START: {"video": call.video | by},
        Op.VIDEO_STOP: {"video": call.video - by},
        Op.RESTART_MEDIA: {},  # the same media on new ICE candidates
        Op.SCREEN_START: {"screen": True},
        Op.SCREEN_STOP: {"screen": False},
    }[pending.op]
    after = replace(call, pending=None, **changed)  # type: ignore[arg-type]
    media: tuple[Effect, ...] = ()
    if pending.op in VIDEO_OPS:
        media = (_media_of(after, pending.by),)
    elif pending.op in SCREEN_OPS:
        media = (TellScreen(after.screen),)
    return _step(call, after, (), media, finished=pending.op)


def expire(call: CallState) -> Step:
    """The pending re-offer was not answered in time: it fails and nothing changes."""
    if call.pending is None:
        raise CallError(ErrorCode.INVALID_STATE, "no operation is pending")
    return Step(
        replace(call, pending=None), finished=call.pending.op, ok=False, code=ErrorCode.TIMEOUT
    )


def ring(call: CallState, agents: Collection[int]) -> Step:
    """Routing chose these agents to alert: each gets a ringing leg."""
    if call.phase not in (Phase.INITIATED, Phase.QUEUED, Phase.RINGING):
        raise CallError(ErrorCode.INVALID_STATE, f"cannot ring a call that is {call.phase}")
    if not agents or set(agents) & set(call.ringing) or len(set(agents)) != len(agents):
        raise CallError(ErrorCode.INVALID_STATE, "ring each agent once, and someone")
    after = replace(
        call, phase=Phase.RINGING, legs=call.legs + tuple(Leg(agent) for agent in agents)
    )
    effects: list[Effect] = []
    for agent in agents:
        effects += [Ring(agent), Tell(agent, State.RINGING, None)]
    return _step(call, after, tuple(effects))


def ring_out(call: CallState, agent: int) -> Step:
    """``agent`` let the call ring out (a queue's ring timeout): its leg ends ``no_answer``."""
    if agent not in call.ringing:
        raise CallError(ErrorCode.INVALID_STATE, "the call is not ringing for this agent")
    return _leg_ends(call, agent, Reason.NO_ANSWER)


def enqueue(call: CallState) -> Step:
    """Nobody is free: the caller waits in the queue."""
    if (
        call.phase not in (Phase.INITIATED, Phase.RINGING)
        or call.ringing
        or not call.via_queue
        or call.transfer is not None  # nobody taking a transfer makes it fall back
    ):
        raise CallError(
            ErrorCode.INVALID_STATE, f"cannot queue a call that is {call.phase} (or not a queue's)"
        )
    return _step(call, replace(call, phase=Phase.QUEUED))


def give_up(call: CallState, reason: Reason) -> Step:
    """Routing ends an unanswered call: ``no_agents`` or ``no_answer``."""
    if call.phase not in (Phase.INITIATED, Phase.QUEUED, Phase.RINGING):
        raise CallError(ErrorCode.INVALID_STATE, f"cannot give up on a call that is {call.phase}")
    return _end(call, {Party.CALLER: reason, Party.AGENT: reason})


def lose(call: CallState, party: Party, *, agent: int | None = None) -> Step:
    """``party`` (on the agent side: ``agent``) vanished and did not come back.

    The caller or the answering agent: the call ends for both. An agent being
    rung: its leg ends, and a direct call nobody else rings ends ``no_answer``.
    """
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    lost = {Party.CALLER: Reason.CONNECTION_LOST, Party.AGENT: Reason.CONNECTION_LOST}
    if party is Party.CALLER or _agent_id(agent) == call.agent:
        return _end(call, lost)
    if _agent_id(agent) not in call.ringing:
        raise CallError(ErrorCode.INVALID_STATE, "the call is not ringing for this agent")
    return _leg_ends(call, _agent_id(agent), Reason.CONNECTION_LOST, lone=Reason.NO_ANSWER)


def media_fails(call: CallState, party: Party, *, agent: int | None = None) -> Step:
    """``party``'s media could not connect: the answered call ends ``media_failed`` for
    both, so each is told its network blocks the call instead of hearing silence."""
    check(call, party, Op.END, agent=agent)
    if call.phase is not Phase.ANSWERED:
        raise CallError(ErrorCode.INVALID_STATE, "media can only fail on an answered call")
    if party is Party.AGENT and _agent_id(agent) != call.agent:
        raise CallError(ErrorCode.INVALID_STATE, _not_yours(call, Op.END))
    return _end(call, {Party.CALLER: Reason.MEDIA_FAILED, Party.AGENT: Reason.MEDIA_FAILED}, Op.END)


def link(call: CallState, party: Party, state: Link) -> Step:
    """``party``'s signaling connection dropped (``reconnecting``) or is back (``connected``).

    Only an answered call's other party follows it: the agents rung do not.
    """
    if call.phase is not Phase.ANSWERED:
        return Step(call)
    return Step(call, (replace(_media_of(call, party), link=state),))


@dataclass(frozen=True)
class Relay:
    """Where an ICE candidate goes: to these parties or rung agents, and whether it is kept."""

    to: tuple[Party | int, ...]
    keep: bool = False  # for agents rung later (a forward): each gets the caller's so far


def relay(call: CallState, party: Party, *, agent: int | None = None) -> Relay:
    """Who gets an ICE candidate ``party`` (on the agent side: ``agent``) sends.

    Once answered, the other party. Before, a caller's candidates go to every
    agent being rung and are kept; an agent has none to send until it accepts.
    """
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    if party is Party.AGENT:
        if call.phase is not Phase.ANSWERED or _agent_id(agent) != call.agent:
            raise CallError(ErrorCode.INVALID_STATE, "accept the call before sending candidates")
        return Relay((Party.CALLER,))
    if call.phase is Phase.ANSWERED:
        return Relay((Party.AGENT,))
    return Relay(call.ringing, keep=True)


def chat(call: CallState, party: Party, *, agent: int | None = None) -> Party:
    """Whether ``party`` (on the agent side: ``agent``) may chat now; the party it talks to.

    Only the two parties of an answered call chat, held or not and under a re-offer
    alike: an agent being rung has not answered yet, and an ended call is over.
    """
    _answered_by(call, party, agent, "chat opens once the call is answered")
    return party.other


def _answered_by(call: CallState, party: Party, agent: int | None, not_yet: str) -> None:
    """CallError unless ``party`` (on the agent side: ``agent``) is a party of the answered
    call; ``not_yet``: what to say before the answer."""
    if call.phase is Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "the call has ended")
    if call.phase is not Phase.ANSWERED:
        raise CallError(ErrorCode.INVALID_STATE, not_yet)
    if party is Party.AGENT and _agent_id(agent) != call.agent:
        raise CallError(ErrorCode.INVALID_STATE, "another agent answered this call")


def screen_ask(
    call: CallState, party: Party, *, agent: int | None = None, stop: bool = False
) -> None:
    """Whether ``party`` may ask the caller to share its screen (``stop``: to stop sharing it).

    Only the answering agent asks; the caller alone starts and stops (``screen_start``,
    ``screen_stop``). Asking to share needs the call ``in_call`` with no screen shared yet;
    asking to stop, a screen shared.
    """
    if party is Party.CALLER:
        raise CallError(ErrorCode.FORBIDDEN, "only the agent asks for the visitor's screen")
    _answered_by(call, party, agent, "ask for the screen once the call is answered")
    if stop:
        if not call.screen:
            raise CallError(ErrorCode.INVALID_STATE, "the visitor is not sharing its screen")
        return
    if call.screen:
        raise CallError(ErrorCode.INVALID_STATE, "the visitor already shares its screen")
    state = call.state_for(party)
    if state is not State.IN_CALL:
        raise CallError(ErrorCode.INVALID_STATE, f"cannot ask for the screen in a call {state}")


def screen_decline(call: CallState, party: Party) -> None:
    """Whether ``party`` may turn the agent's ask for its screen down: the caller, while
    the call is answered and it shares nothing."""
    if party is Party.AGENT:
        raise CallError(ErrorCode.FORBIDDEN, "only the visitor answers an ask for its screen")
    _answered_by(call, party, None, "the call is not answered")
    if call.screen:
        raise CallError(ErrorCode.INVALID_STATE, "your screen is shared: stop it instead")


def rate(call: CallState, party: Party) -> None:
    """Whether ``party`` may rate the call now: only its caller, once an answered call ended
    (the time allowed and the once-only rule are the record's: ``rating.rate``)."""
    if party is not Party.CALLER or call.from_agent:
        raise CallError(ErrorCode.FORBIDDEN, "only the visitor who called rates a call")
    if call.phase is not Phase.ENDED:
        raise CallError(ErrorCode.INVALID_STATE, "a call is rated once it has ended")
    if call.agent is None:
        raise CallError(ErrorCode.INVALID_STATE, "only an answered call is rated")


def reason_seen_by(party: Party, caller_reason: Reason) -> Reason:
    """How an answered call that ended ``caller_reason`` for the caller ended for ``party``."""
    if party is Party.CALLER:
        return caller_reason
    swapped = {
        Reason.ENDED_BY_LOCAL: Reason.ENDED_BY_REMOTE,
        Reason.ENDED_BY_REMOTE: Reason.ENDED_BY_LOCAL,
    }
    return swapped.get(caller_reason, caller_reason)


# --- helpers ---------------------------------------------------------------------------------


def _stop(
    call: CallState, agents: Iterable[int], reason: Reason
) -> tuple[CallState, tuple[Effect, ...]]:
    """End these agents' ringing legs, each agent's tabs told why."""
    stopping = set(agents)
    legs = tuple(
        Leg(leg.agent, LegStatus.ENDED, reason)
        if leg.agent in stopping and leg.status is LegStatus.RINGING
        else leg
        for leg in call.legs
    )
    effects: list[Effect] = []
    for agent in call.ringing:
        if agent in stopping:
            effects += [StopLeg(agent, reason), Tell(agent, State.ENDED, State.RINGING, reason)]
    return replace(call, legs=legs), tuple(effects)


def _end(call: CallState, reasons: dict[Party, Reason], op: Op | None = None) -> Step:
    """The whole call ends; agents still being rung stop for the agent side's reason."""
    stopped, effects = _stop(call, call.ringing, reasons[Party.AGENT])
    after = replace(stopped, phase=Phase.ENDED, pending=None, transfer=None)
    return _step(call, after, effects, ended=reasons, finished=op, aborted=call.pending)


def _step(
    before: CallState,
    after: CallState,
    effects: tuple[Effect, ...] = (),
    then: tuple[Effect, ...] = (),
    *,
    ended: dict[Party, Reason] | None = None,
    finished: Op | None = None,
    aborted: Pending | None = None,
) -> Step:
    """A step whose parties are told each state that changed (and why the call ended).

    The agent side is told as a party only once an agent answered: before,
    each rung agent is told through its leg's effects.
    """
    told: list[Effect] = list(effects)
    for party in Party:
        if party is Party.AGENT and after.agent is None:
            continue
        old, new = before.state_for(party), after.state_for(party)
        reason = (ended or {}).get(party)
        if old != new or reason:
            told.append(Tell(party, new, old, reason))
    return Step(after, (*told, *then), finished=finished, aborted=aborted)


def _media_of(call: CallState, sender: Party) -> TellMedia:
    """What ``sender`` sends, told to the other party."""
    return TellMedia(sender.other, muted=sender in call.muted, video=sender in call.video)
