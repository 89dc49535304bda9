"""The call state machine, tested exhaustively against an oracle written from the contract.

Three parts, top to bottom:

1. Helpers that turn a plain ``Config`` into a machine ``CallState`` and any outcome (a ``Step``
   or a ``CallError``) into plain, comparable values: the call, what each party and each rung
   agent sees, and every effect (who is told which state, which legs stop and why, who rings).
2. The oracle: which calls can exist, and what every operation must do to each of them, written
   from ``protocol.md`` (states, rules, end reasons, error codes) and the design decisions the
   lead wrote down (guard order, re-offers pending until ``answer``, how legs end). It never
   calls the machine.
3. The tests: every request, answer, expiry and routing step on every reachable call, by the
   caller and by each of two agents, compared with the oracle; stories that assert each
   party's whole history of states, as its ``call.state`` events show it; and properties.

Two agents, 1 and 2, are enough to have "the others": each has at most one leg that counts
(its latest), absent, ringing, answered or ended. Agents are interchangeable, so answered calls
are listed with agent 1 as the one who answered.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, NamedTuple

import pytest

from supportcall.calls import machine
from supportcall.calls.machine import (
    Answered,
    CallError,
    CallState,
    HandedOn,
    Leg,
    LegStatus,
    Party,
    Pending,
    Phase,
    Ring,
    Step,
    StopLeg,
    Tell,
    TellMedia,
    TellScreen,
)
from supportcall.vocabulary import AGENT_OPS, REOFFER_OPS, Link, Media, Op, Reason, State

# ---------------------------------------------------------------------------------------------
# Names, as the contract spells them
# ---------------------------------------------------------------------------------------------

CALLER, AGENT = "caller", "agent"
PARTIES = (CALLER, AGENT)
OTHER = {CALLER: AGENT, AGENT: CALLER}
AGENTS = (1, 2)
# Who sends a request: the caller, or the agent side through one agent.
ACTORS: tuple[tuple[str, int | None], ...] = ((CALLER, None), (AGENT, 1), (AGENT, 2))

MEDIA = ("video", "audio", "audio_single")
PHASES = ("initiated", "queued", "ringing", "answered", "ended")
OPS = (
    "accept",
    "reject",
    "ignore",
    "forward",
    "end",
    "hold",
    "unhold",
    "video_start",
    "video_stop",
    "mute",
    "unmute",
    "restart_media",
    "transfer",
    "screen_start",
    "screen_stop",
)
# Operations on two calls at once (a held call and the consult about it): functions of their
# own (machine.consult, machine.complete), tested apart; ``request`` refuses them.
TWO_CALL_OPS = ("consult", "complete")
CONTRACT_STATES = (
    "initiated",
    "queued",
    "ringing",
    "in_call",
    "on_hold",
    "remotely_held",
    "on_double_hold",
    "ended",
)
CONTRACT_REASONS = (
    "ended_by_local",
    "ended_by_remote",
    "rejected",
    "ignored",
    "no_answer",
    "no_agents",
    "answered_elsewhere",
    "cancelled",
    "forwarded",
    "transferred",
    "callback_requested",
    "connection_lost",
    "media_failed",
    "error",
)
# (video, to_queue): both off and both on with every operation. Each matters to one operation
# only (accept, forward); that they change nothing elsewhere is part of what is checked.
FLAGS = ((False, False), (True, True))
NOBODY: frozenset[str] = frozenset()


# ---------------------------------------------------------------------------------------------
# Helpers: plain configurations in, plain observations out
# ---------------------------------------------------------------------------------------------


class Config(NamedTuple):
    """A call, in plain strings, independent of the machine's types."""

    phase: str
    media: str
    held: frozenset[str] = NOBODY
    muted: frozenset[str] = NOBODY
    video: frozenset[str] = NOBODY
    pending: tuple[str, str] | None = None  # (op, by)
    queue: bool = False  # routed through a queue
    legs: tuple[tuple[int, str], ...] = ()  # (agent, status of its latest leg), by agent
    transfer: tuple[int, str] | None = None  # (the agent who transferred it, stage)
    screen: bool = False  # the caller shares its screen


# An effect in plain values: ("tell", to, state, previous, reason, but_actor), ("ring", agent),
# ("stop", agent, reason), ("answered", agent), ("media", to, muted, video, link).
Plain = tuple[Any, ...]


class Seen(NamedTuple):
    """Everything one step produced: what everyone sees, the call behind it, the effects."""

    states: tuple[str, str]  # (the caller's, the agent side's)
    seen: tuple[str | None, ...]  # what each agent sees, or None if it is not its call
    call: Config
    effects: tuple[Plain, ...]  # in no particular order (see the stories for order)
    finished: str | None
    ok: bool
    code: str
    aborted: tuple[str, str] | None


class Refused(NamedTuple):
    """The step raised CallError with this code."""

    code: str


class Crashed(NamedTuple):
    """The step raised something other than CallError."""

    error: str


def names(items: Iterable[Any]) -> tuple[str, ...]:
    return tuple(sorted(str(item) for item in items))


def parties(items: Iterable[str]) -> frozenset[Party]:
    return frozenset(Party(item) for item in items)


def to_call(cfg: Config) -> CallState:
    # An ended leg's reason is only history (it decides whom routing skips), not behaviour.
    legs = tuple(
        Leg(agent, LegStatus(status), Reason.IGNORED if status == "ended" else None)
        for agent, status in cfg.legs
    )
    return CallState(
        phase=Phase(cfg.phase),
        media=Media(cfg.media),
        held=parties(cfg.held),
        muted=parties(cfg.muted),
        video=parties(cfg.video),
        pending=None if cfg.pending is None else Pending(Op(cfg.pending[0]), Party(cfg.pending[1])),
        via_queue=cfg.queue,
        legs=legs,
        transfer=None
        if cfg.transfer is None
        else machine.Transfer(cfg.transfer[0], machine.TransferStage(cfg.transfer[1])),
        screen=cfg.screen,
    )


def pending_of(pending: Pending | None) -> tuple[str, str] | None:
    return None if pending is None else (str(pending.op), str(pending.by))


def config_of(call: CallState) -> Config:
    latest = {leg.agent: str(leg.status) for leg in call.legs}  # a later leg replaces an earlier
    return Config(
        phase=str(call.phase),
        media=str(call.media),
        held=frozenset(names(call.held)),
        muted=frozenset(names(call.muted)),
        video=frozenset(names(call.video)),
        pending=pending_of(call.pending),
        queue=call.via_queue,
        legs=tuple(sorted(latest.items())),
        transfer=None if call.transfer is None else (call.transfer.by, str(call.transfer.stage)),
        screen=call.screen,
    )


def plain(effect: machine.Effect) -> Plain:
    def opt(value: Any) -> Any:
        return None if value is None else str(value)

    if isinstance(effect, Tell):
        to = effect.to if isinstance(effect.to, int) else str(effect.to)
        previous, reason = opt(effect.previous), opt(effect.reason)
        return ("tell", to, str(effect.state), previous, reason, effect.but_actor)
    if isinstance(effect, Ring):
        return ("ring", effect.agent)
    if isinstance(effect, StopLeg):
        return ("stop", effect.agent, str(effect.reason))
    if isinstance(effect, Answered):
        return ("answered", effect.agent)
    if isinstance(effect, machine.HandedOn):
        return ("handed_on", effect.agent)
    if isinstance(effect, machine.AskOffer):
        return ("ask_offer", str(effect.kind))
    if isinstance(effect, TellScreen):
        return ("screen", AGENT, effect.sharing)
    assert isinstance(effect, TellMedia)
    return ("media", str(effect.to), effect.muted, effect.video, opt(effect.link))


def unordered(effects: Iterable[Plain]) -> tuple[Plain, ...]:
    return tuple(sorted(effects, key=repr))


def observe(step: Step) -> Seen:
    call = step.call
    return Seen(
        states=(str(call.state_for(Party.CALLER)), str(call.state_for(Party.AGENT))),
        seen=tuple(None if (s := call.seen_by(a)) is None else str(s) for a in AGENTS),
        call=config_of(call),
        effects=unordered(plain(e) for e in step.effects),
        finished=None if step.finished is None else str(step.finished),
        ok=step.ok,
        code=step.code,
        aborted=pending_of(step.aborted),
    )


def attempt(fn: Callable[..., Step], *args: Any, **kwargs: Any) -> Seen | Refused | Crashed:
    try:
        return observe(fn(*args, **kwargs))
    except CallError as error:
        # The wire error carries the message too: an empty one is a defect.
        return Refused(error.code if error.message else f"{error.code} (with no message)")
    except Exception as error:
        return Crashed(repr(error))


def label(cfg: Config) -> str:
    words = [cfg.phase, cfg.media]
    for field in ("held", "muted", "video"):
        who = getattr(cfg, field)
        if who:
            words.append(f"{field}={'+'.join(sorted(who))}")
    if cfg.pending:
        words.append(f"pending={cfg.pending[0]} by {cfg.pending[1]}")
    if cfg.queue:
        words.append("queue")
    if cfg.transfer:
        words.append(f"transfer by {cfg.transfer[0]} ({cfg.transfer[1]})")
    if cfg.screen:
        words.append("screen")
    words += [f"{agent}:{status}" for agent, status in cfg.legs]
    return " ".join(words)


def differences(expected: Any, got: Any) -> str:
    if isinstance(expected, Seen) and isinstance(got, Seen):
        return "; ".join(
            f"{field}: expected {want!r}, got {have!r}"
            for field, want, have in zip(Seen._fields, expected, got, strict=True)
            if want != have
        )
    return f"expected {expected!r}, got {got!r}"


def report(mismatches: list[str], checked: int) -> str:
    shown = "\n".join(mismatches[:60])
    more = f"\n... and {len(mismatches) - 60} more" if len(mismatches) > 60 else ""
    return f"{len(mismatches)} of {checked} cases disagree with the oracle:\n{shown}{more}"


# ---------------------------------------------------------------------------------------------
# The oracle (written from protocol.md and the design decisions; it never calls the machine)
# ---------------------------------------------------------------------------------------------

PRE_ANSWER = frozenset({"initiated", "queued", "ringing"})
ANSWERED_STATES = frozenset({"in_call", "on_hold", "remotely_held", "on_double_hold"})

# What a party sees on an answered call: (do I hold it?, does the other party?) -> state.
SEEN_WHEN_ANSWERED = {
    (False, False): "in_call",
    (True, False): "on_hold",
    (False, True): "remotely_held",
    (True, True): "on_double_hold",
}

AGENT_ONLY = frozenset({"accept", "reject", "ignore", "forward", "transfer"})
REOFFERS = frozenset(
    {"hold", "unhold", "video_start", "video_stop", "restart_media", "screen_start", "screen_stop"}
)
VIDEO_OPS = frozenset({"video_start", "video_stop"})
# The caller's own screen: only it starts and stops sharing (the agent asks, elsewhere).
CALLER_ONLY = frozenset({"screen_start", "screen_stop"})

# Rule 5: the party's own state from which it may start each operation.
ALLOWED_FROM: dict[tuple[str, str], frozenset[str]] = {
    **{(op, AGENT): frozenset({"ringing"}) for op in AGENT_ONLY},
    # A blind transfer hands on an answered call, held or not.
    ("transfer", AGENT): ANSWERED_STATES,
    ("end", CALLER): PRE_ANSWER | ANSWERED_STATES,
    ("end", AGENT): frozenset({"ringing"}) | ANSWERED_STATES,
    **{("hold", p): frozenset({"in_call", "remotely_held"}) for p in PARTIES},
    **{("unhold", p): frozenset({"on_hold", "on_double_hold"}) for p in PARTIES},
    **{(op, p): frozenset({"in_call"}) for op in VIDEO_OPS for p in PARTIES},
    **{(op, p): ANSWERED_STATES for op in ("mute", "unmute") for p in PARTIES},
    # An ICE restart may be needed whatever the holds: a network change does not wait.
    **{("restart_media", p): ANSWERED_STATES for p in PARTIES},
    ("screen_start", CALLER): frozenset({"in_call"}),
    # Stopping the screen is never blocked by a hold: the browser's "Stop sharing" may come.
    ("screen_stop", CALLER): ANSWERED_STATES,
}

# What an operation does once it takes effect: (the set it changes, does it add the party?).
# A party can only add itself where it is absent, and remove itself where it is present.
EFFECT = {
    "hold": ("held", True),
    "unhold": ("held", False),
    "video_start": ("video", True),
    "video_stop": ("video", False),
    "mute": ("muted", True),
    "unmute": ("muted", False),
}


def state_of(cfg: Config, party: str) -> str:
    if cfg.phase != "answered":
        return cfg.phase
    return SEEN_WHEN_ANSWERED[party in cfg.held, OTHER[party] in cfg.held]


def leg_of(cfg: Config, agent: int) -> str | None:
    return dict(cfg.legs).get(agent)


def answerer(cfg: Config) -> int | None:
    return next((agent for agent, status in cfg.legs if status == "answered"), None)


def ringing(cfg: Config) -> list[int]:
    return [agent for agent, status in cfg.legs if status == "ringing"]


def seen_by(cfg: Config, agent: int) -> str | None:
    """The answering agent sees the agent side's state; a rung agent sees ``ringing``."""
    if leg_of(cfg, agent) == "answered":
        return state_of(cfg, AGENT)
    return "ringing" if leg_of(cfg, agent) == "ringing" else None


def with_legs(cfg: Config, changes: dict[int, str]) -> Config:
    return cfg._replace(legs=tuple(sorted({**dict(cfg.legs), **changes}.items())))


def tell(to: Any, state: str, previous: str | None, reason: str | None = None) -> Plain:
    return ("tell", to, state, previous, reason, False)


def media_told(cfg: Config, sender: str, link: str | None = None) -> Plain:
    """The other party hears what ``sender`` sends."""
    return ("media", OTHER[sender], sender in cfg.muted, sender in cfg.video, link)


def stop(cfg: Config, agents: Iterable[int], reason: str) -> tuple[Config, list[Plain]]:
    """These agents' ringing legs end: each agent's tabs hear ``ended`` with the reason."""
    stopping = [a for a in agents if leg_of(cfg, a) == "ringing"]
    effects = []
    for agent in stopping:
        effects += [("stop", agent, reason), tell(agent, "ended", "ringing", reason)]
    return with_legs(cfg, dict.fromkeys(stopping, "ended")), effects


def parties_told(before: Config, after: Config, ended: dict[str, str]) -> list[Plain]:
    """Each party whose state changed hears it (with the reason if the call ended for it).

    Before anyone answered there is no agent party to tell: the rung agents hear through legs.
    """
    told = []
    for party in PARTIES:
        if party == AGENT and answerer(after) is None:
            continue
        old, new = state_of(before, party), state_of(after, party)
        if old != new or party in ended:
            told.append(tell(party, new, old, ended.get(party)))
    return told


def expect(
    before: Config,
    after: Config,
    effects: Iterable[Plain] = (),
    *,
    ended: dict[str, str] | None = None,
    finished: str | None = None,
    ok: bool = True,
    code: str = "",
    aborted: tuple[str, str] | None = None,
) -> Seen:
    return Seen(
        states=(state_of(after, CALLER), state_of(after, AGENT)),
        seen=tuple(seen_by(after, a) for a in AGENTS),
        call=after,
        effects=unordered([*effects, *parties_told(before, after, ended or {})]),
        finished=finished,
        ok=ok,
        code=code,
        aborted=aborted,
    )


def expect_end(
    cfg: Config, reasons: dict[str, str], finished: str | None = None, effects: Iterable[Plain] = ()
) -> Seen:
    """The whole call ends: agents still rung stop for the agent side's reason, a pending
    re-offer is cut short and reported as aborted."""
    stopped, stops = stop(cfg, ringing(cfg), reasons[AGENT])
    return expect(
        cfg,
        stopped._replace(phase="ended", pending=None, transfer=None),
        [*effects, *stops],
        ended=reasons,
        finished=finished,
        aborted=cfg.pending,
    )


def takes_effect(cfg: Config, op: str, party: str) -> Config:
    if op in CALLER_ONLY:
        return cfg._replace(screen=op == "screen_start")
    if op not in EFFECT:  # restart_media: the same media on new ICE candidates
        return cfg
    field, adds = EFFECT[op]
    sets = {"held": cfg.held, "muted": cfg.muted, "video": cfg.video}
    sets[field] = sets[field] | {party} if adds else sets[field] - {party}
    return cfg._replace(held=sets["held"], muted=sets["muted"], video=sets["video"])


def leg_ends(cfg: Config, agent: int, reason: str, op: str | None, lone: str | None) -> Seen:
    """``agent``'s leg ends; with ``lone``, a direct call that nobody else rings ends so."""
    after, effects = stop(cfg, [agent], reason)
    if cfg.transfer is not None and cfg.transfer[1] == "ringing" and not ringing(after):
        return expect(cfg, after, effects, finished=op)  # routing takes the transfer back
    if lone is not None and not cfg.queue and not ringing(after):
        return expect_end(after, {CALLER: lone, AGENT: lone}, finished=op, effects=effects)
    return expect(cfg, after, effects, finished=op)


def expected_request(
    cfg: Config, party: str, agent: int | None, op: str, *, video: bool, to_queue: bool
) -> Seen | Refused:
    state = state_of(cfg, CALLER) if party == CALLER else seen_by(cfg, agent or 0)
    # The guards, in the documented order.
    if op in AGENT_ONLY and party == CALLER:
        return Refused("forbidden")
    if op in CALLER_ONLY and party == AGENT:
        return Refused("forbidden")
    if cfg.phase == "ended":
        return Refused("invalid_state")
    if cfg.pending is not None and op != "end":
        return Refused("operation_in_progress")
    if op in VIDEO_OPS and cfg.media == "audio_single":
        return Refused("not_supported")
    if op == "accept" and video and cfg.media != "video":
        return Refused("not_supported")
    # An agent not rung for the call now, or not the one who answered it, has nothing to do.
    if state is None or state not in ALLOWED_FROM[op, party]:
        return Refused("invalid_state")
    if op in EFFECT:
        field, adds = EFFECT[op]
        if (party in getattr(cfg, field)) == adds:
            return Refused("invalid_state")
    if op in CALLER_ONLY and cfg.screen == (op == "screen_start"):
        return Refused("invalid_state")

    # Allowed. Re-offers wait for the other party's answer and change nothing else.
    if op in REOFFERS:
        return expect(cfg, cfg._replace(pending=(op, party)))
    if op in EFFECT:  # mute, unmute
        after = takes_effect(cfg, op, party)
        return expect(cfg, after, [media_told(after, party)], finished=op)
    if party == AGENT:
        assert agent is not None
        if op == "accept":
            others, effects = stop(
                cfg, [a for a in ringing(cfg) if a != agent], "answered_elsewhere"
            )
            after = with_legs(others, {agent: "answered"})._replace(
                phase="answered", video=cfg.video | {AGENT} if video else cfg.video, transfer=None
            )
            # The accepting agent's other tabs stop ringing too.
            own = ("tell", agent, "ended", "ringing", "answered_elsewhere", True)
            return expect(cfg, after, [("answered", agent), own, *effects], finished=op)
        if op == "ignore":
            # The caller is not told: the call rings on until someone answers or time runs out.
            return leg_ends(cfg, agent, "ignored", op, lone=None)
        if op == "transfer":
            # The agent's part ends; the caller waits for the target, asked for a fresh offer.
            after = with_legs(cfg, {agent: "ended"})._replace(
                phase="ringing",
                held=NOBODY,
                muted=NOBODY,
                video=frozenset({CALLER}) if cfg.media == "video" else NOBODY,
                queue=to_queue,
                transfer=(agent, "offer"),
                screen=False,  # the caller's fresh peer connection has no screen m-line
            )
            told = tell(agent, "ended", state, "transferred")
            effects = [("handed_on", agent), told, ("ask_offer", "transfer")]
            return expect(cfg, after, effects, finished=op)
        if op == "forward":
            mine, effects = stop(cfg, [agent], "forwarded")
            others, more = stop(mine, ringing(mine), "answered_elsewhere")
            return expect(cfg, others._replace(queue=to_queue), effects + more, finished=op)
        if op == "reject" or state == "ringing":  # an agent ending a call ringing at it rejects
            # A direct call nobody else rings ends rejected; a queue call moves on.
            return leg_ends(cfg, agent, "rejected", op, lone="rejected")
    assert op == "end"
    if cfg.phase == "answered":
        return expect_end(cfg, {party: "ended_by_local", OTHER[party]: "ended_by_remote"}, op)
    return expect_end(cfg, {CALLER: "ended_by_local", AGENT: "cancelled"}, op)


def expected_answer(cfg: Config, party: str, agent: int | None) -> Seen | Refused:
    if cfg.phase == "ended" or cfg.pending is None or cfg.pending[1] == party:
        return Refused("invalid_state")
    if party == AGENT and agent != answerer(cfg):
        return Refused("invalid_state")
    op, by = cfg.pending
    after = takes_effect(cfg._replace(pending=None), op, by)
    media = [media_told(after, by)] if op in VIDEO_OPS else []
    if op in CALLER_ONLY:
        media = [("screen", AGENT, after.screen)]  # the agent hears the screen is shared or not
    return expect(cfg, after, media, finished=op)


def expected_expire(cfg: Config) -> Seen | Refused:
    if cfg.pending is None:
        return Refused("invalid_state")
    after = cfg._replace(pending=None)
    return expect(cfg, after, finished=cfg.pending[0], ok=False, code="timeout")


def expected_ring(cfg: Config, agents: tuple[int, ...]) -> Seen | Refused:
    if cfg.phase not in PRE_ANSWER or set(agents) & set(ringing(cfg)):
        return Refused("invalid_state")
    effects = []
    for agent in agents:
        effects += [("ring", agent), tell(agent, "ringing", None)]
    after = with_legs(cfg, dict.fromkeys(agents, "ringing"))._replace(phase="ringing")
    return expect(cfg, after, effects)


def expected_ring_out(cfg: Config, agent: int) -> Seen | Refused:
    if agent not in ringing(cfg):
        return Refused("invalid_state")
    return leg_ends(cfg, agent, "no_answer", None, lone=None)


def expected_enqueue(cfg: Config) -> Seen | Refused:
    # Only a queue's call waits, and only once nobody is being rung for it.
    # A transfer never waits in a queue: nobody taking it makes it fall back.
    if cfg.phase not in ("initiated", "ringing") or ringing(cfg) or not cfg.queue or cfg.transfer:
        return Refused("invalid_state")
    return expect(cfg, cfg._replace(phase="queued"))


def expected_give_up(cfg: Config, reason: str) -> Seen | Refused:
    if cfg.phase not in PRE_ANSWER:
        return Refused("invalid_state")
    return expect_end(cfg, {CALLER: reason, AGENT: reason})


def expected_lose(cfg: Config, party: str, agent: int | None) -> Seen | Refused:
    if cfg.phase == "ended":
        return Refused("invalid_state")
    lost = {CALLER: "connection_lost", AGENT: "connection_lost"}
    if party == CALLER or agent == answerer(cfg):
        return expect_end(cfg, lost)
    if agent not in ringing(cfg):
        return Refused("invalid_state")
    # A rung agent vanished: a direct call nobody else rings cannot be answered any more.
    assert agent is not None
    return leg_ends(cfg, agent, "connection_lost", None, lone="no_answer")


def expected_media_fails(cfg: Config, party: str, agent: int | None) -> Seen | Refused:
    # Hanging up's own guards first: whoever may not end the call may not fail its media.
    refused = expected_request(cfg, party, agent, "end", video=False, to_queue=False)
    if isinstance(refused, Refused):
        return refused
    if cfg.phase != "answered" or (party == AGENT and agent != answerer(cfg)):
        return Refused("invalid_state")
    return expect_end(cfg, {CALLER: "media_failed", AGENT: "media_failed"}, finished="end")


def expected_link(cfg: Config, party: str, link: str) -> Seen:
    # Only an answered call's other party follows a connection: the agents rung do not.
    return expect(cfg, cfg, [media_told(cfg, party, link)] if cfg.phase == "answered" else [])


def expected_relay(cfg: Config, party: str, agent: int | None) -> tuple[Any, ...] | Refused:
    """Where a candidate goes (and whether it is kept for agents rung later)."""
    if cfg.phase == "ended":
        return Refused("invalid_state")
    if party == AGENT:
        # An agent sends candidates only for a call it answered.
        if agent != answerer(cfg) or cfg.phase != "answered":
            return Refused("invalid_state")
        return ((CALLER,), False)
    if cfg.phase == "answered":
        return ((AGENT,), False)
    return (tuple(ringing(cfg)), True)


def expected_chat(cfg: Config, party: str, agent: int | None) -> str | Refused:
    """Who a chat message or typing goes to: only the two parties of an answered call talk,
    held or not and under a re-offer alike."""
    if cfg.phase != "answered":
        return Refused("invalid_state")
    if party == AGENT and agent != answerer(cfg):
        return Refused("invalid_state")
    return OTHER[party]


def subsets(items: Iterable[str]) -> list[frozenset[str]]:
    pool = tuple(items)
    return [
        frozenset(chosen)
        for size in range(len(pool) + 1)
        for chosen in itertools.combinations(pool, size)
    ]


def possible_pendings(
    media: str, held: frozenset[str], video: frozenset[str], screen: bool = False
) -> Iterator[tuple[str, str] | None]:
    """Re-offers that can be waiting on an answered call: only ones their starter could start."""
    yield None
    for party in PARTIES:
        yield ("restart_media", party)
        yield ("unhold", party) if party in held else ("hold", party)
        if not held and media != "audio_single":
            yield ("video_stop", party) if party in video else ("video_start", party)
    if screen:
        yield ("screen_stop", CALLER)
    elif not held:
        yield ("screen_start", CALLER)


def leg_sets(*choices: tuple[str | None, ...]) -> list[tuple[tuple[int, str], ...]]:
    """Every combination of each agent's latest leg (None: never rung)."""
    return [
        tuple((agent, status) for agent, status in zip(AGENTS, combo, strict=True) if status)
        for combo in itertools.product(*choices)
    ]


def reachable_configs() -> list[Config]:
    """Every call the contract allows to exist, derived by hand from the rules.

    Before the answer nothing can be held, muted or pending, and only a video caller sends
    video. Nobody has been rung for a call still initiated; a queued call is a queue's, and
    nobody rings for it; a ringing call has rung someone. Once answered, one agent answered
    (agent 1) and the other may have been rung; holds and mutes are independent per party;
    video can reach any combination except on audio_single; a re-offer can be pending only if
    its starter could start it then. An ended call keeps what it had when it ended, minus any
    pending re-offer, and nobody rings for it any more.
    """
    alive = []
    either = (False, True)
    for media in MEDIA:
        caller_video = frozenset({CALLER}) if media == "video" else NOBODY
        alive += [Config("initiated", media, video=caller_video, queue=q) for q in either]
        alive += [
            Config("queued", media, video=caller_video, queue=True, legs=legs)
            for legs in leg_sets((None, "ended"), (None, "ended"))
        ]
        alive += [
            Config("ringing", media, video=caller_video, queue=q, legs=legs)
            for q, legs in itertools.product(
                either, leg_sets((None, "ringing", "ended"), (None, "ringing", "ended"))
            )
            if legs
        ]
        videos = [NOBODY] if media == "audio_single" else subsets(PARTIES)
        for held, muted, video, q, legs, screen in itertools.product(
            subsets(PARTIES),
            subsets(PARTIES),
            videos,
            either,
            leg_sets(("answered",), (None, "ended")),
            either,
        ):
            alive += [
                Config("answered", media, held, muted, video, pending, q, legs, screen=screen)
                for pending in possible_pendings(media, held, video, screen)
            ]
    ended = dict.fromkeys(
        with_legs(cfg, dict.fromkeys(ringing(cfg), "ended"))._replace(phase="ended", pending=None)
        for cfg in alive
    )
    return alive + list(ended)


CONFIGS = reachable_configs()
CONFIGS_BY_PHASE = {phase: [cfg for cfg in CONFIGS if cfg.phase == phase] for phase in PHASES}


# ---------------------------------------------------------------------------------------------
# The machine speaks the contract's names
# ---------------------------------------------------------------------------------------------


def test_the_machine_uses_exactly_the_contracts_states_reasons_media_and_operations():
    assert [s.value for s in State] == list(CONTRACT_STATES)
    assert sorted(r.value for r in Reason) == sorted(CONTRACT_REASONS)
    assert sorted(m.value for m in Media) == sorted(MEDIA)
    assert sorted(o.value for o in Op) == sorted(OPS + TWO_CALL_OPS)
    assert sorted(p.value for p in Phase) == sorted(PHASES)
    assert sorted(p.value for p in Party) == sorted(PARTIES)


def test_each_party_has_the_other_as_its_other():
    assert Party.CALLER.other is Party.AGENT
    assert Party.AGENT.other is Party.CALLER


def test_the_operation_groups_match_the_contract():
    assert {str(op) for op in REOFFER_OPS} == REOFFERS
    assert {str(op) for op in AGENT_OPS} == AGENT_ONLY | {"consult"}


# ---------------------------------------------------------------------------------------------
# Exhaustive: every operation on every reachable call, compared with the oracle
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("media", MEDIA)
@pytest.mark.parametrize("queue", [False, True])
def test_a_new_call_is_initiated_for_the_caller_and_only_a_video_caller_sends_video(media, queue):
    step = machine.start(Media(media), via_queue=queue)
    caller_video = frozenset({CALLER}) if media == "video" else NOBODY
    assert config_of(step.call) == Config("initiated", media, video=caller_video, queue=queue)
    assert [plain(e) for e in step.effects] == [tell(CALLER, "initiated", None)]


@pytest.mark.parametrize("cfg", CONFIGS, ids=label)
def test_each_party_and_agent_sees_the_state_derived_from_the_phase_holds_and_legs(cfg):
    call = to_call(cfg)
    assert [call.state_for(Party(p)) for p in PARTIES] == [state_of(cfg, p) for p in PARTIES]
    assert [call.seen_by(a) for a in AGENTS] == [seen_by(cfg, a) for a in AGENTS]


def actor_id(actor: tuple[str, int | None]) -> str:
    return actor[0] if actor[1] is None else f"agent{actor[1]}"


@pytest.mark.parametrize(
    ("phase", "actor", "op"), list(itertools.product(PHASES, ACTORS, OPS)), ids=str
)
def test_every_request_on_every_reachable_call_follows_the_contract(phase, actor, op):
    party, agent = actor
    mismatches, checked = [], 0
    for cfg in CONFIGS_BY_PHASE[phase]:
        for video, to_queue in FLAGS:
            checked += 1
            expected = expected_request(cfg, party, agent, op, video=video, to_queue=to_queue)
            got = attempt(
                machine.request,
                to_call(cfg),
                Party(party),
                Op(op),
                agent=agent,
                video=video,
                to_queue=to_queue,
            )
            if got != expected:
                flags = f"video={video} to_queue={to_queue}"
                mismatches.append(f"{label(cfg)} | {flags}: {differences(expected, got)}")
    assert checked, f"no reachable {phase} call to try {op} on"
    assert not mismatches, report(mismatches, checked)


@pytest.mark.parametrize(
    ("phase", "actor", "op"), list(itertools.product(PHASES, ACTORS, OPS)), ids=str
)
def test_check_refuses_exactly_what_the_oracle_refuses_with_the_same_code(phase, actor, op):
    party, agent = actor
    mismatches = []
    for cfg in CONFIGS_BY_PHASE[phase]:
        for video in (False, True):
            try:
                machine.check(to_call(cfg), Party(party), Op(op), agent=agent, video=video)
                checked: str | None = None
            except CallError as error:
                checked = error.code
            expected = expected_request(cfg, party, agent, op, video=video, to_queue=False)
            refused = expected.code if isinstance(expected, Refused) else None
            if checked != refused:
                mismatches.append(
                    f"{label(cfg)} video={video}: check gave {checked}, not {refused}"
                )
    assert not mismatches, "\n".join(mismatches)


ROUTING: dict[str, tuple[Callable[[CallState], Step], Callable[[Config], Seen | Refused]]] = {
    **{
        f"ring{agents}": (
            partial(lambda agents, call: machine.ring(call, agents), agents),
            partial(lambda agents, cfg: expected_ring(cfg, agents), agents),
        )
        for agents in ((1,), (2,), (1, 2))
    },
    **{
        f"ring_out({agent})": (
            partial(lambda agent, call: machine.ring_out(call, agent), agent),
            partial(lambda agent, cfg: expected_ring_out(cfg, agent), agent),
        )
        for agent in AGENTS
    },
    "enqueue": (machine.enqueue, expected_enqueue),
    **{
        f"give_up({reason})": (
            partial(lambda reason, call: machine.give_up(call, Reason(reason)), reason),
            partial(lambda reason, cfg: expected_give_up(cfg, reason), reason),
        )
        for reason in ("no_answer", "no_agents")
    },
    **{
        f"lose({actor_id(actor)})": (
            partial(lambda a, call: machine.lose(call, Party(a[0]), agent=a[1]), actor),
            partial(lambda a, cfg: expected_lose(cfg, *a), actor),
        )
        for actor in ACTORS
    },
    **{
        f"media_fails({actor_id(actor)})": (
            partial(lambda a, call: machine.media_fails(call, Party(a[0]), agent=a[1]), actor),
            partial(lambda a, cfg: expected_media_fails(cfg, *a), actor),
        )
        for actor in ACTORS
    },
    **{
        f"answer({actor_id(actor)})": (
            partial(lambda a, call: machine.answer(call, Party(a[0]), agent=a[1]), actor),
            partial(lambda a, cfg: expected_answer(cfg, *a), actor),
        )
        for actor in ACTORS
    },
    "expire": (machine.expire, expected_expire),
    **{
        f"link({party},{link})": (
            partial(lambda p, li, call: machine.link(call, Party(p), Link(li)), party, link),
            partial(lambda p, li, cfg: expected_link(cfg, p, li), party, link),
        )
        for party, link in itertools.product(PARTIES, ("reconnecting", "connected"))
    },
}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", list(ROUTING))
def test_every_answer_expiry_routing_and_link_step_on_every_reachable_call_follows_the_contract(
    step, phase
):
    run, oracle = ROUTING[step]
    mismatches = []
    for cfg in CONFIGS_BY_PHASE[phase]:
        expected, got = oracle(cfg), attempt(run, to_call(cfg))
        if got != expected:
            mismatches.append(f"{label(cfg)}: {differences(expected, got)}")
    assert not mismatches, report(mismatches, len(CONFIGS_BY_PHASE[phase]))


@pytest.mark.parametrize("actor", ACTORS, ids=actor_id)
def test_every_candidate_goes_where_the_contract_says_on_every_reachable_call(actor):
    party, agent = actor
    mismatches = []
    for cfg in CONFIGS:
        expected = expected_relay(cfg, party, agent)
        try:
            relay = machine.relay(to_call(cfg), Party(party), agent=agent)
            got: Any = (tuple(t if isinstance(t, int) else str(t) for t in relay.to), relay.keep)
        except CallError as error:
            got = Refused(error.code)
        if got != expected:
            mismatches.append(f"{label(cfg)}: expected {expected}, got {got}")
    assert not mismatches, report(mismatches, len(CONFIGS))


@pytest.mark.parametrize("actor", ACTORS, ids=actor_id)
def test_only_the_two_parties_of_an_answered_call_may_chat_on_every_reachable_call(actor):
    party, agent = actor
    mismatches = []
    for cfg in CONFIGS:
        expected = expected_chat(cfg, party, agent)
        try:
            got: Any = str(machine.chat(to_call(cfg), Party(party), agent=agent))
        except CallError as error:
            got = Refused(error.code)
        if got != expected:
            mismatches.append(f"{label(cfg)}: expected {expected}, got {got}")
    assert not mismatches, report(mismatches, len(CONFIGS))


def every_next_call(call: CallState) -> Iterator[CallState]:
    """Every call one machine step away from ``call``."""
    steps: list[Callable[[], Step]] = [
        partial(machine.enqueue, call),
        partial(machine.give_up, call, Reason.NO_ANSWER),
        partial(machine.expire, call),
    ]
    steps += [partial(machine.ring, call, agents) for agents in ((1,), (2,), (1, 2))]
    steps += [partial(machine.ring_out, call, agent) for agent in AGENTS]
    for party, agent in ACTORS:
        party_ = Party(party)
        steps += [
            partial(machine.answer, call, party_, agent=agent),
            partial(machine.lose, call, party_, agent=agent),
        ]
        steps += [
            partial(machine.request, call, party_, op, agent=agent, video=video, to_queue=to_queue)
            for op, (video, to_queue) in itertools.product(map(Op, OPS), FLAGS)
        ]
    # A consult changes nothing on the held call; completing it is a transfer (as above).
    steps += [partial(machine.consult, call, agent, consulting=False) for agent in AGENTS]
    for run in steps:
        try:
            yield run().call
        except CallError:
            pass


def canonical(cfg: Config) -> Config:
    """The same call with the agents named so that agent 1 answered (they are interchangeable)."""
    if answerer(cfg) != 2:
        return cfg
    return cfg._replace(legs=tuple(sorted((3 - agent, status) for agent, status in cfg.legs)))


def test_the_machine_reaches_exactly_the_calls_the_oracle_enumerates():
    # Walk calls as configurations: a call's older legs change nothing the machine does.
    reached: set[Config] = set()
    frontier = [
        config_of(machine.start(media, via_queue=q).call) for media in Media for q in (False, True)
    ]
    while frontier:
        cfg = frontier.pop()
        if cfg not in reached:
            reached.add(cfg)
            frontier.extend(config_of(call) for call in every_next_call(to_call(cfg)))
    # A transfer going on is its own family of calls: ringing for its target, never queued.
    transferring = {cfg for cfg in reached if cfg.transfer is not None}
    assert {cfg.phase for cfg in transferring} == {"ringing"}
    assert all(not cfg.held and not cfg.muted and cfg.pending is None for cfg in transferring)
    reached_configs = {canonical(cfg) for cfg in reached - transferring}
    unexpected = sorted(label(cfg) for cfg in reached_configs - set(CONFIGS))
    unreached = sorted(label(cfg) for cfg in set(CONFIGS) - reached_configs)
    assert not unexpected, f"the machine reaches calls the contract rules out: {unexpected}"
    assert not unreached, f"the oracle enumerates calls the machine never reaches: {unreached}"
    assert len(CONFIGS) == len(set(CONFIGS))


# ---------------------------------------------------------------------------------------------
# Named rules (each one is also covered by the exhaustive tests; these read as the spec)
# ---------------------------------------------------------------------------------------------


def answered(media: str = "audio", **changes: Any) -> CallState:
    caller_video = frozenset({CALLER}) if media == "video" else NOBODY
    base = Config("answered", media, video=caller_video, legs=((1, "answered"),))
    return to_call(base._replace(**changes))


def ringing_call(media: str = "audio", **changes: Any) -> CallState:
    caller_video = frozenset({CALLER}) if media == "video" else NOBODY
    return to_call(Config("ringing", media, video=caller_video, legs=((1, "ringing"),), **changes))


def refusal(call: CallState, party: str, op: str, **flags: Any) -> str:
    if party == AGENT:
        flags.setdefault("agent", 1)
    with pytest.raises(CallError) as raised:
        machine.request(call, Party(party), Op(op), **flags)
    assert raised.value.message
    return raised.value.code


@pytest.mark.parametrize("op", sorted(AGENT_ONLY))
def test_a_visitor_cannot_accept_reject_ignore_or_forward_even_an_ended_call(op):
    for phase in PHASES:
        assert refusal(to_call(Config(phase, "audio")), CALLER, op) == "forbidden", phase


def test_hold_on_held_call_fails_with_invalid_state():
    on_hold = answered(held=frozenset({CALLER}))
    double_hold = answered(held=frozenset(PARTIES))
    assert refusal(on_hold, CALLER, "hold") == "invalid_state"
    assert refusal(double_hold, CALLER, "hold") == "invalid_state"
    assert refusal(double_hold, AGENT, "hold") == "invalid_state"


def test_a_remotely_held_party_may_hold_too_but_not_unhold():
    remotely_held = answered(held=frozenset({AGENT}))
    assert refusal(remotely_held, CALLER, "unhold") == "invalid_state"
    step = machine.request(remotely_held, Party.CALLER, Op.HOLD)
    assert step.call.pending == Pending(Op.HOLD, Party.CALLER)


def test_unhold_on_a_call_nobody_holds_fails_with_invalid_state():
    assert refusal(answered(), CALLER, "unhold") == "invalid_state"
    assert refusal(answered(), AGENT, "unhold") == "invalid_state"


def test_mute_on_muted_call_and_unmute_on_unmuted_call_fail_with_invalid_state():
    assert refusal(answered(muted=frozenset({AGENT})), AGENT, "mute") == "invalid_state"
    assert refusal(answered(), AGENT, "unmute") == "invalid_state"
    # Muting is per party: the caller may still mute when only the agent is muted.
    step = machine.request(answered(muted=frozenset({AGENT})), Party.CALLER, Op.MUTE)
    assert step.call.muted == {Party.CALLER, Party.AGENT}
    assert step.effects == (TellMedia(Party.AGENT, muted=True, video=False),)


def test_nobody_can_mute_or_hold_a_call_before_it_is_answered():
    for phase, party, op in itertools.product(PRE_ANSWER, PARTIES, ("mute", "hold")):
        legs = ((1, "ringing"),) if phase == "ringing" else ()
        assert refusal(to_call(Config(phase, "audio", legs=legs)), party, op) == "invalid_state"


def test_video_ops_on_an_audio_single_call_fail_with_not_supported_in_any_state():
    for held, party, op in itertools.product(subsets(PARTIES), PARTIES, sorted(VIDEO_OPS)):
        call = answered("audio_single", held=held)
        assert refusal(call, party, op) == "not_supported"


def test_video_ops_on_a_held_call_fail_with_invalid_state():
    for held, party in itertools.product(subsets(PARTIES)[1:], PARTIES):
        assert refusal(answered("video", held=held), party, "video_stop") == "invalid_state"
        assert refusal(answered("audio", held=held), party, "video_start") == "invalid_state"


def test_accepting_with_video_a_call_offered_without_video_fails_with_not_supported():
    for media in ("audio", "audio_single"):
        assert refusal(ringing_call(media), AGENT, "accept", video=True) == "not_supported"


def test_any_operation_but_end_during_a_pending_reoffer_fails_with_operation_in_progress():
    call = answered("video", pending=("video_stop", CALLER))
    for party, op in itertools.product(PARTIES, sorted(set(OPS) - AGENT_ONLY - {"end"})):
        if party == AGENT and op in CALLER_ONLY:
            continue  # forbidden first, whatever the call (see the next test)
        assert refusal(call, party, op) == "operation_in_progress", (party, op)


def test_only_the_caller_shares_its_screen_whatever_the_call():
    for cfg, op in itertools.product(CONFIGS, sorted(CALLER_ONLY)):
        assert refusal(to_call(cfg), AGENT, op, agent=1) == "forbidden", label(cfg)


def test_the_screen_is_shared_in_call_only_and_stopped_held_or_not():
    for held in subsets(PARTIES):
        if held:
            assert refusal(answered("audio", held=held), CALLER, "screen_start") == "invalid_state"
        else:
            step = machine.request(answered("audio"), Party.CALLER, Op.SCREEN_START)
            assert step.call.pending == Pending(Op.SCREEN_START, Party.CALLER)
        sharing = answered("audio", held=held, screen=True)
        stopping = machine.request(sharing, Party.CALLER, Op.SCREEN_STOP)
        after = machine.answer(stopping.call, Party.AGENT, agent=1)
        assert (after.call.screen, after.effects[-1]) == (False, TellScreen(False))
        assert refusal(answered("audio", held=held), CALLER, "screen_stop") == "invalid_state"


def test_end_is_never_blocked_by_a_pending_reoffer():
    for pending_by, ender in itertools.product(PARTIES, PARTIES):
        step = machine.request(
            answered(pending=("hold", pending_by)), Party(ender), Op.END, agent=1
        )
        assert step.call.phase is Phase.ENDED and step.call.pending is None
        assert step.aborted == Pending(Op.HOLD, Party(pending_by))


def test_the_agent_cannot_end_a_call_it_is_not_ringing_for():
    for phase in ("initiated", "queued"):
        assert refusal(to_call(Config(phase, "audio", queue=True)), AGENT, "end") == (
            "invalid_state"
        )
    assert refusal(ringing_call(), AGENT, "end", agent=2) == "invalid_state"


def test_an_agent_who_did_not_answer_can_do_nothing_on_the_answered_call():
    call = answered(legs=((1, "answered"), (2, "ended")))
    for op in ("end", "mute", "hold", "restart_media", "accept"):
        assert refusal(call, AGENT, op, agent=2) == "invalid_state", op
    with pytest.raises(CallError) as raised:
        machine.answer(answered(pending=("hold", CALLER)), Party.AGENT, agent=2)
    assert raised.value.code == "invalid_state"


def test_answering_your_own_reoffer_or_no_reoffer_fails_with_invalid_state():
    with pytest.raises(CallError) as own:
        machine.answer(answered(pending=("hold", AGENT)), Party.AGENT, agent=1)
    with pytest.raises(CallError) as none:
        machine.answer(answered(), Party.CALLER)
    assert own.value.code == none.value.code == "invalid_state"


def test_expiring_with_nothing_pending_fails_with_invalid_state():
    with pytest.raises(CallError) as raised:
        machine.expire(answered())
    assert raised.value.code == "invalid_state"


def test_an_agent_already_ringing_is_not_rung_again_and_someone_must_be():
    for agents in ((1,), (1, 2), ()):
        with pytest.raises(CallError) as raised:
            machine.ring(ringing_call(), agents)
        assert raised.value.code == "invalid_state"


def test_routing_skips_agents_who_rejected_or_ignored_and_knows_who_let_it_ring_out():
    rung = ringing_call()
    for step in (
        machine.request(rung, Party.AGENT, Op.REJECT, agent=1),
        machine.request(rung, Party.AGENT, Op.IGNORE, agent=1),
        machine.request(rung, Party.AGENT, Op.END, agent=1),
    ):
        assert (step.call.declined, step.call.missed) == ({1}, set())
    rang_out = machine.ring_out(
        to_call(Config("ringing", "audio", queue=True, legs=((1, "ringing"),))), 1
    )
    assert (rang_out.call.declined, rang_out.call.missed) == (set(), {1})
    assert rang_out.call.needs_agents


def test_how_an_answered_call_ended_for_the_agent_mirrors_the_callers_reason():
    assert machine.reason_seen_by(Party.AGENT, Reason.ENDED_BY_LOCAL) is Reason.ENDED_BY_REMOTE
    assert machine.reason_seen_by(Party.AGENT, Reason.ENDED_BY_REMOTE) is Reason.ENDED_BY_LOCAL
    assert machine.reason_seen_by(Party.CALLER, Reason.ENDED_BY_LOCAL) is Reason.ENDED_BY_LOCAL
    for reason in set(Reason) - {Reason.ENDED_BY_LOCAL, Reason.ENDED_BY_REMOTE}:
        assert machine.reason_seen_by(Party.AGENT, reason) is reason


# ---------------------------------------------------------------------------------------------
# Stories: whole histories of what each party sees
# ---------------------------------------------------------------------------------------------


def sends(call: CallState, party: Party) -> str:
    """What a party sends, as the other party's `call.media` events describe it."""
    kinds = [
        kind
        for kind, on in (("audio", party not in call.muted), ("video", party in call.video))
        if on
    ]
    return "+".join(kinds) or "nothing"


class Story:
    """One call driven step by step, recording what everyone is told, as the wire tells it.

    ``states`` holds each recipient's ``call.state`` history: the caller's, and each agent's
    (the tabs that sent the request; ``tabs`` holds what the agent's other tabs hear). The
    answering agent hears the agent party's states.
    """

    def __init__(self, media: str = "audio", queue: bool = False, **kind: bool):
        self.states: dict[Any, list[str]] = {CALLER: [], **{a: [] for a in AGENTS}}
        self.reasons: dict[Any, list[str]] = {CALLER: [], **{a: [] for a in AGENTS}}
        self.tabs: dict[int, list[str]] = {a: [] for a in AGENTS}
        self.sends: dict[str, list[str]] = {p: [] for p in PARTIES}
        self._take(machine.start(Media(media), via_queue=queue, **kind))  # kind: from_agent...

    def _take(self, step: Step) -> Step:
        self.call, self.step = step.call, step
        for effect in step.effects:
            if not isinstance(effect, Tell):
                continue
            to = effect.to
            if to is Party.AGENT:
                assert self.call.agent is not None
                to = self.call.agent
            elif to is Party.CALLER:
                to = CALLER
            if effect.but_actor:
                self.tabs[to].append(str(effect.state))
                continue
            history = self.states[to]
            # Each event names the state it leaves, so the histories join up; an agent rung
            # again for the same call gets a fresh alert.
            if effect.previous is None:
                assert not history or history[-1] == "ended", (to, effect)
            else:
                assert history and history[-1] == effect.previous, (to, effect)
            history.append(str(effect.state))
            if effect.reason:
                self.reasons[to].append(str(effect.reason))
        for p in PARTIES:
            now = sends(self.call, Party(p))
            if not self.sends[p] or self.sends[p][-1] != now:
                self.sends[p].append(now)
        return step

    def ring(self, *agents: int) -> Step:
        return self._take(machine.ring(self.call, agents))

    def ring_out(self, agent: int) -> Step:
        return self._take(machine.ring_out(self.call, agent))

    def enqueue(self) -> Step:
        return self._take(machine.enqueue(self.call))

    def give_up(self, reason: Reason) -> Step:
        return self._take(machine.give_up(self.call, reason))

    def lose(self, who: str | int) -> Step:
        if who == CALLER:
            return self._take(machine.lose(self.call, Party.CALLER))
        assert isinstance(who, int)
        return self._take(machine.lose(self.call, Party.AGENT, agent=who))

    def do(self, who: str | int, op: str, **flags: Any) -> Step:
        if who == CALLER:
            return self._take(machine.request(self.call, Party.CALLER, Op(op), **flags))
        assert isinstance(who, int)
        return self._take(machine.request(self.call, Party.AGENT, Op(op), agent=who, **flags))

    def answer(self, who: str | int) -> Step:
        if who == CALLER:
            return self._take(machine.answer(self.call, Party.CALLER))
        assert isinstance(who, int)
        return self._take(machine.answer(self.call, Party.AGENT, agent=who))

    def expire(self) -> Step:
        return self._take(machine.expire(self.call))

    def refused(self, who: str | int, op: str, **flags: Any) -> str:
        """The code ``op`` fails with (a refused request leaves the story's call as it was)."""
        if who == CALLER:
            return refusal(self.call, CALLER, op, **flags)
        return refusal(self.call, AGENT, op, agent=who, **flags)

    def reoffer(self, who: str | int, op: str) -> Step:
        """``who`` starts a re-offer and the other party answers it."""
        before = self.call
        party = Party.CALLER if who == CALLER else Party.AGENT
        waiting = self.do(who, op)
        # Nothing changes but the pending op until the answer arrives.
        assert waiting.call == dataclasses.replace(before, pending=Pending(Op(op), party))
        assert (waiting.finished, waiting.effects) == (None, ())
        done = self.answer(CALLER if party is Party.AGENT else before.agent or 0)
        assert (done.finished, done.ok, done.call.pending) == (op, True, None)
        return done

    def accepted(self, video: bool = False) -> Step:
        self.ring(1)
        return self.do(1, "accept", video=video)


def effects_of(step: Step) -> list[Plain]:
    return [plain(e) for e in step.effects]


def test_caller_holds_unholds_and_hangs_up():
    story = Story("audio")
    story.accepted()
    story.reoffer(CALLER, "hold")
    story.reoffer(CALLER, "unhold")
    end = story.do(CALLER, "end")
    assert story.states[CALLER] == [
        "initiated",
        "ringing",
        "in_call",
        "on_hold",
        "in_call",
        "ended",
    ]
    assert story.states[1] == ["ringing", "in_call", "remotely_held", "in_call", "ended"]
    assert (story.reasons[CALLER], story.reasons[1]) == (["ended_by_local"], ["ended_by_remote"])
    assert (end.finished, end.aborted) == (Op.END, None)


def test_double_hold_unwinds_with_the_first_to_unhold_remotely_held():
    story = Story("audio")
    story.accepted()
    story.reoffer(CALLER, "hold")
    story.reoffer(1, "hold")
    assert story.refused(CALLER, "hold") == story.refused(1, "hold") == "invalid_state"
    story.reoffer(CALLER, "unhold")
    # The caller no longer holds but the agent still does: the caller is remotely held and may
    # not unhold again; the agent still holds alone.
    assert story.refused(CALLER, "unhold") == "invalid_state"
    assert story.refused(CALLER, "video_start") == "invalid_state"
    story.reoffer(1, "unhold")
    story.do(1, "end")
    assert story.states[CALLER] == [
        "initiated",
        "ringing",
        "in_call",
        "on_hold",
        "on_double_hold",
        "remotely_held",
        "in_call",
        "ended",
    ]
    assert story.states[1] == [
        "ringing",
        "in_call",
        "remotely_held",
        "on_double_hold",
        "on_hold",
        "in_call",
        "ended",
    ]
    assert (story.reasons[CALLER], story.reasons[1]) == (["ended_by_remote"], ["ended_by_local"])


def test_a_hold_that_times_out_fails_and_leaves_the_call_as_it_was():
    story = Story("audio")
    story.accepted()
    before = story.call
    story.do(1, "hold")
    assert story.refused(CALLER, "mute") == "operation_in_progress"
    timeout = story.expire()
    assert (timeout.finished, timeout.ok, timeout.code) == (Op.HOLD, False, "timeout")
    assert (timeout.effects, timeout.aborted) == ((), None)
    assert timeout.call == before
    # The late answer finds nothing to answer; a new operation is free to start.
    with pytest.raises(CallError):
        machine.answer(story.call, Party.CALLER)
    story.do(CALLER, "mute")
    story.do(CALLER, "end")
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[1] == ["ringing", "in_call", "ended"]
    assert story.sends[CALLER] == ["audio", "nothing"]


def test_video_is_started_on_an_audio_call_and_stopped_again():
    story = Story("audio")
    story.ring(1)
    assert story.refused(1, "accept", video=True) == "not_supported"
    story.do(1, "accept", video=False)
    assert story.refused(CALLER, "video_stop") == "invalid_state"
    started = story.reoffer(CALLER, "video_start")
    assert effects_of(started)[-1] == ("media", AGENT, False, True, None)
    assert story.refused(CALLER, "video_start") == "invalid_state"
    story.reoffer(1, "video_start")
    story.reoffer(CALLER, "video_stop")
    story.do(1, "end")
    assert story.sends[CALLER] == ["audio", "audio+video", "audio"]
    assert story.sends[AGENT] == ["audio", "audio+video"]
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[1] == ["ringing", "in_call", "ended"]


def test_a_video_call_accepted_with_video_sends_video_both_ways():
    story = Story("video")
    story.accepted(video=True)
    story.do(CALLER, "mute")
    story.reoffer(1, "video_stop")
    story.do(CALLER, "unmute")
    assert story.sends[CALLER] == ["audio+video", "video", "audio+video"]
    assert story.sends[AGENT] == ["audio", "audio+video", "audio"]
    assert story.states[CALLER] == ["initiated", "ringing", "in_call"]


def test_a_video_call_accepted_without_video_has_only_the_caller_sending_video():
    story = Story("video")
    story.accepted(video=False)
    assert story.call.video == {Party.CALLER}
    assert story.sends[AGENT] == ["audio"]


def test_video_start_on_an_audio_single_call_fails_with_not_supported():
    story = Story("audio_single")
    story.ring(1)
    assert story.refused(1, "accept", video=True) == "not_supported"
    story.do(1, "accept")
    assert story.refused(CALLER, "video_start") == "not_supported"
    assert story.refused(1, "video_start") == "not_supported"
    story.reoffer(CALLER, "hold")
    assert story.refused(1, "video_start") == "not_supported"
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "on_hold"]
    assert story.sends[CALLER] == ["audio"]
    assert story.sends[AGENT] == ["audio"]


def test_caller_cancels_while_two_agents_ring_and_both_are_told_cancelled():
    story = Story(queue=True)
    story.ring(1, 2)
    cancel = story.do(CALLER, "end")
    assert story.states == {
        CALLER: ["initiated", "ringing", "ended"],
        1: ["ringing", "ended"],
        2: ["ringing", "ended"],
    }
    assert story.reasons == {CALLER: ["ended_by_local"], 1: ["cancelled"], 2: ["cancelled"]}
    assert ("stop", 1, "cancelled") in effects_of(cancel)
    assert ("stop", 2, "cancelled") in effects_of(cancel)
    assert story.call.ringing == ()
    assert story.refused(CALLER, "end") == "invalid_state"


def test_caller_cancels_while_queued_or_still_being_routed():
    queued = Story(queue=True)
    queued.enqueue()
    queued.do(CALLER, "end")
    routed = Story()
    routed.do(CALLER, "end")
    assert queued.states[CALLER] == ["initiated", "queued", "ended"]
    assert routed.states[CALLER] == ["initiated", "ended"]
    for story in (queued, routed):
        assert story.reasons[CALLER] == ["ended_by_local"]
        # Nobody was being rung: no agent hears anything.
        assert story.states[1] == story.states[2] == []


def test_one_agent_accepts_while_two_ring_the_other_and_its_own_tabs_stop_ringing():
    story = Story("audio", queue=True)
    story.ring(1, 2)
    accept = story.do(2, "accept")
    assert effects_of(accept) == [
        ("answered", 2),
        ("tell", 2, "ended", "ringing", "answered_elsewhere", True),
        ("stop", 1, "answered_elsewhere"),
        ("tell", 1, "ended", "ringing", "answered_elsewhere", False),
        ("tell", CALLER, "in_call", "ringing", None, False),
        ("tell", AGENT, "in_call", "ringing", None, False),
    ]
    assert story.states == {
        CALLER: ["initiated", "ringing", "in_call"],
        1: ["ringing", "ended"],
        2: ["ringing", "in_call"],
    }
    assert story.reasons[1] == ["answered_elsewhere"]
    assert story.tabs == {1: [], 2: ["ended"]}
    assert story.call.agent == 2
    assert story.refused(1, "accept") == "invalid_state"


def test_a_reject_while_another_agent_rings_ends_only_that_agents_leg():
    story = Story()
    story.ring(1, 2)
    reject = story.do(1, "reject")
    assert effects_of(reject) == [
        ("stop", 1, "rejected"),
        ("tell", 1, "ended", "ringing", "rejected", False),
    ]
    assert (reject.finished, reject.call.ringing) == (Op.REJECT, (2,))
    story.do(2, "accept")
    assert story.states == {
        CALLER: ["initiated", "ringing", "in_call"],
        1: ["ringing", "ended"],
        2: ["ringing", "in_call"],
    }


def test_the_last_agents_reject_ends_a_direct_call_rejected_but_a_queue_call_moves_on():
    direct = Story()
    direct.ring(1)
    direct.do(1, "reject")
    assert direct.states == {
        CALLER: ["initiated", "ringing", "ended"],
        1: ["ringing", "ended"],
        2: [],
    }
    assert direct.reasons == {CALLER: ["rejected"], 1: ["rejected"], 2: []}
    queue = Story(queue=True)
    queue.ring(1)
    queue.do(1, "reject")
    assert queue.states[CALLER] == ["initiated", "ringing"]
    assert queue.call.needs_agents  # routing offers it to the next agent, or lets it wait
    queue.ring(2)
    queue.do(2, "accept")
    assert queue.states[CALLER] == ["initiated", "ringing", "in_call"]
    assert queue.reasons[1] == ["rejected"]


@pytest.mark.parametrize("others", [False, True])
def test_an_agent_ending_a_call_ringing_at_it_rejects_it(others):
    story = Story()
    story.ring(*((1, 2) if others else (1,)))
    end = story.do(1, "end")
    assert end.finished == Op.END
    assert story.reasons[1] == ["rejected"]
    if others:
        assert story.states[CALLER] == ["initiated", "ringing"]
    else:
        assert story.states[CALLER] == ["initiated", "ringing", "ended"]
        assert story.reasons[CALLER] == ["rejected"]


def test_an_ignored_direct_call_rings_on_without_telling_the_caller_until_nobody_answers():
    story = Story()
    story.ring(1)
    ignore = story.do(1, "ignore")
    assert effects_of(ignore) == [
        ("stop", 1, "ignored"),
        ("tell", 1, "ended", "ringing", "ignored", False),
    ]
    assert (ignore.call.phase, ignore.call.needs_agents) == (Phase.RINGING, False)
    give_up = story.give_up(Reason.NO_ANSWER)
    assert give_up.finished is None
    assert story.states == {
        CALLER: ["initiated", "ringing", "ended"],
        1: ["ringing", "ended"],
        2: [],
    }
    assert story.reasons == {CALLER: ["no_answer"], 1: ["ignored"], 2: []}


def test_a_forward_while_another_agent_rings_stops_both_and_rings_the_target():
    story = Story("video", queue=True)
    story.ring(1, 2)
    forward = story.do(1, "forward", to_queue=False)
    assert effects_of(forward) == [
        ("stop", 1, "forwarded"),
        ("tell", 1, "ended", "ringing", "forwarded", False),
        ("stop", 2, "answered_elsewhere"),
        ("tell", 2, "ended", "ringing", "answered_elsewhere", False),
    ]
    assert (forward.finished, forward.call.phase, forward.call.via_queue) == (
        Op.FORWARD,
        Phase.RINGING,
        False,
    )
    story.ring(2)  # the target of the forward: a direct call to agent 2 now
    story.do(2, "accept", video=True)
    assert story.states == {
        CALLER: ["initiated", "ringing", "in_call"],
        1: ["ringing", "ended"],
        2: ["ringing", "ended", "ringing", "in_call"],
    }
    assert story.call.video == {Party.CALLER, Party.AGENT}


def test_one_leg_rings_out_and_the_next_agent_gets_the_call():
    story = Story(queue=True)
    story.ring(1)
    out = story.ring_out(1)
    assert effects_of(out) == [
        ("stop", 1, "no_answer"),
        ("tell", 1, "ended", "ringing", "no_answer", False),
    ]
    assert out.call.needs_agents
    story.ring(2)
    story.do(2, "accept")
    assert story.states == {
        CALLER: ["initiated", "ringing", "in_call"],
        1: ["ringing", "ended"],
        2: ["ringing", "in_call"],
    }


def test_a_rung_agent_losing_its_connection_ends_its_leg_and_a_direct_call_no_answer():
    both = Story(queue=True)
    both.ring(1, 2)
    both.lose(1)
    assert both.states[CALLER] == ["initiated", "ringing"]
    assert both.reasons[1] == ["connection_lost"]
    assert both.call.ringing == (2,)
    direct = Story()
    direct.ring(1)
    direct.lose(1)
    assert direct.states == {
        CALLER: ["initiated", "ringing", "ended"],
        1: ["ringing", "ended"],
        2: [],
    }
    assert direct.reasons == {CALLER: ["no_answer"], 1: ["connection_lost"], 2: []}


def test_the_caller_vanishing_while_agents_ring_ends_their_legs_connection_lost():
    story = Story(queue=True)
    story.ring(1, 2)
    story.lose(CALLER)
    assert story.reasons == {
        CALLER: ["connection_lost"],
        1: ["connection_lost"],
        2: ["connection_lost"],
    }


def test_a_queued_call_is_rung_requeued_and_rung_again_before_it_is_answered():
    story = Story(queue=True)
    story.enqueue()
    assert story.refused(1, "accept") == "invalid_state"
    story.ring(1)
    story.do(1, "ignore")
    story.enqueue()
    story.ring(2)
    story.do(2, "accept")
    assert story.states[CALLER] == [
        "initiated",
        "queued",
        "ringing",
        "queued",
        "ringing",
        "in_call",
    ]
    assert story.call.declined == {1}


def test_a_call_nobody_can_take_ends_with_no_agents():
    story = Story()
    story.give_up(Reason.NO_AGENTS)
    assert story.states[CALLER] == ["initiated", "ended"]
    assert story.reasons[CALLER] == ["no_agents"]


def test_losing_the_connection_during_a_pending_hold_aborts_it():
    story = Story()
    story.accepted()
    story.do(CALLER, "hold")
    lost = story.lose(1)
    assert (story.reasons[CALLER], story.reasons[1]) == (["connection_lost"], ["connection_lost"])
    assert lost.aborted == Pending(Op.HOLD, Party.CALLER)
    assert (lost.finished, lost.call.pending) == (None, None)
    # The hold never took effect, and nothing can finish it now.
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[1] == ["ringing", "in_call", "ended"]
    for late in (
        lambda: machine.answer(story.call, Party.AGENT, agent=1),
        lambda: machine.expire(story.call),
    ):
        with pytest.raises(CallError) as raised:
            late()
        assert raised.value.code == "invalid_state"


def test_hanging_up_during_the_other_partys_video_start_aborts_it():
    story = Story()
    story.accepted()
    story.do(1, "video_start")
    end = story.do(CALLER, "end")
    assert (story.reasons[CALLER], story.reasons[1]) == (["ended_by_local"], ["ended_by_remote"])
    assert end.aborted == Pending(Op.VIDEO_START, Party.AGENT)
    assert end.call.video == frozenset()
    assert story.sends[AGENT] == ["audio"]


def test_a_held_call_can_still_be_muted_and_ended_by_the_held_party():
    story = Story()
    story.accepted()
    story.reoffer(1, "hold")
    story.do(CALLER, "mute")
    story.do(CALLER, "end")
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "remotely_held", "ended"]
    assert story.states[1] == ["ringing", "in_call", "on_hold", "ended"]
    assert story.sends[CALLER] == ["audio", "nothing"]
    assert story.reasons[CALLER] == ["ended_by_local"]


def test_the_other_party_hears_of_a_drop_only_once_the_call_is_answered():
    story = Story()
    story.ring(1)
    assert machine.link(story.call, Party.CALLER, Link.RECONNECTING).effects == ()
    story.do(1, "accept")
    story.do(1, "mute")
    dropped = machine.link(story.call, Party.AGENT, Link.RECONNECTING)
    assert dropped.effects == (TellMedia(Party.CALLER, True, False, Link.RECONNECTING),)
    assert dropped.call == story.call


# ---------------------------------------------------------------------------------------------
# Properties over every reachable call
# ---------------------------------------------------------------------------------------------


def every_request() -> Iterator[tuple[Config, str, int | None, str, bool, bool]]:
    for cfg, (party, agent), op, (video, to_queue) in itertools.product(
        CONFIGS, ACTORS, OPS, FLAGS
    ):
        yield cfg, party, agent, op, video, to_queue


@functools.cache
def successful_requests() -> list[tuple[Config, str, str, Step]]:
    """Every request that succeeds on a reachable call (computed once for the properties)."""
    done = []
    for cfg, party, agent, op, video, to_queue in every_request():
        try:
            step = machine.request(
                to_call(cfg), Party(party), Op(op), agent=agent, video=video, to_queue=to_queue
            )
        except CallError:
            continue
        done.append((cfg, party, op, step))
    return done


def test_no_request_ever_succeeds_on_an_ended_call():
    succeeded = [
        f"{label(cfg)} {party} {op}"
        for cfg, party, op, _ in successful_requests()
        if cfg.phase == "ended"
    ]
    assert not succeeded


def test_the_two_parties_states_always_mirror_each_other():
    mirrored = {
        ("in_call", "in_call"),
        ("on_hold", "remotely_held"),
        ("remotely_held", "on_hold"),
        ("on_double_hold", "on_double_hold"),
        *((phase, phase) for phase in ("initiated", "queued", "ringing", "ended")),
    }
    pairs = {
        (str(call.state_for(Party.CALLER)), str(call.state_for(Party.AGENT)))
        for call in map(to_call, CONFIGS)
    }
    assert pairs == mirrored


def test_every_step_that_ends_the_call_tells_the_caller_why_and_leaves_nobody_ringing():
    for cfg, _, _, step in successful_requests():
        if step.call.phase is Phase.ENDED:
            assert step.reason_for(Party.CALLER) is not None, label(cfg)
            assert step.call.ringing == () and step.call.pending is None, label(cfg)
            assert step.aborted == to_call(cfg).pending
            if step.call.agent is not None:
                assert step.reason_for(Party.AGENT) is not None, label(cfg)
        else:
            assert step.aborted is None
            assert step.reason_for(Party.CALLER) is None, label(cfg)


def test_every_leg_that_stops_is_told_to_its_agent_with_the_same_reason():
    for cfg, _, _, step in successful_requests():
        stops = [(e.agent, e.reason) for e in step.effects if isinstance(e, StopLeg)]
        # An answered leg handed on by a transfer ends so too, told to its agent.
        handed = [(e.agent, Reason.TRANSFERRED) for e in step.effects if isinstance(e, HandedOn)]
        told = [
            (e.to, e.reason)
            for e in step.effects
            if isinstance(e, Tell) and isinstance(e.to, int) and not e.but_actor
            if e.state is State.ENDED
        ]
        assert stops + handed == told, label(cfg)
        # A leg leaves ringing by stopping or by answering.
        answered = {e.agent for e in step.effects if isinstance(e, Answered)}
        left = set(to_call(cfg).ringing) - set(step.call.ringing)
        assert left == {a for a, _ in stops} | answered, label(cfg)


def test_ringing_legs_exist_only_while_the_call_rings():
    for cfg in CONFIGS:
        call = to_call(cfg)
        assert not call.ringing or call.phase is Phase.RINGING, label(cfg)
        assert call.agent == answerer(cfg), label(cfg)


def test_every_successful_request_either_finishes_at_once_or_waits_for_an_answer():
    for _, party, op, step in successful_requests():
        assert (step.ok, step.code) == (True, "")
        if op in REOFFERS:
            assert step.finished is None and step.call.pending == Pending(Op(op), Party(party))
        else:
            assert step.finished == op and step.call.pending is None


# ---------------------------------------------------------------------------------------------
# Blind transfer: the stages after call.transfer
# ---------------------------------------------------------------------------------------------


def transferred(to_queue: bool = False) -> CallState:
    """Agent 1 answered a video call and transferred it."""
    call = answered(media="video", held=frozenset({CALLER}))
    return machine.request(call, Party.AGENT, Op.TRANSFER, agent=1, to_queue=to_queue).call


def test_a_transfer_rings_its_target_only_after_the_callers_fresh_offer():
    call = transferred()
    assert (call.phase, call.transfer, call.held, call.video) == (
        Phase.RINGING,
        machine.Transfer(1, machine.TransferStage.OFFER),
        frozenset(),
        frozenset({Party.CALLER}),
    )
    assert refusal(call, AGENT, "accept") == "invalid_state"  # agent 1's part is over
    with pytest.raises(CallError) as agent_offer:
        machine.fresh_offer(call, Party.AGENT)
    assert agent_offer.value.code == "forbidden"

    offered = machine.fresh_offer(call, Party.CALLER)
    assert offered.effects == ()
    assert offered.call.transfer == machine.Transfer(1, machine.TransferStage.RINGING)
    with pytest.raises(CallError) as twice:
        machine.fresh_offer(offered.call, Party.CALLER)
    assert twice.value.code == "invalid_state"

    rung = machine.ring(offered.call, [2])
    answered_by_2 = machine.request(rung.call, Party.AGENT, Op.ACCEPT, agent=2)
    assert (answered_by_2.call.agent, answered_by_2.call.transfer) == (2, None)
    assert answered_by_2.call.state_for(Party.CALLER) is State.IN_CALL


def test_a_rejected_transfer_is_not_ended_but_left_to_fall_back():
    call = machine.ring(machine.fresh_offer(transferred(), Party.CALLER).call, [2]).call
    rejected = machine.request(call, Party.AGENT, Op.REJECT, agent=2)
    assert rejected.call.phase is Phase.RINGING and rejected.call.transfer_unanswered
    assert not rejected.call.needs_agents

    back = machine.transfer_back(rejected.call)
    assert back.call.transfer == machine.Transfer(1, machine.TransferStage.BACK)
    assert not back.call.transfer_unanswered
    with pytest.raises(CallError):
        machine.transfer_back(back.call)
    rung = machine.ring(back.call, [1])
    assert [plain(e) for e in rung.effects] == [
        ("ring", 1),
        ("tell", 1, "ringing", None, None, False),
    ]


def test_a_transfer_timing_out_stops_the_targets_ringing():
    call = machine.ring(machine.fresh_offer(transferred(True), Party.CALLER).call, [2]).call
    back = machine.transfer_back(call)
    assert [plain(e) for e in back.effects] == [
        ("stop", 2, "no_answer"),
        ("tell", 2, "ended", "ringing", "no_answer", False),
    ]
    assert back.call.via_queue is False


def test_the_caller_hanging_up_during_a_transfer_ends_it_for_everyone_rung():
    call = machine.ring(machine.fresh_offer(transferred(), Party.CALLER).call, [2]).call
    ended = machine.request(call, Party.CALLER, Op.END)
    assert (ended.call.phase, ended.call.transfer) == (Phase.ENDED, None)
    assert ("tell", 2, "ended", "ringing", "cancelled", False) in [plain(e) for e in ended.effects]
    assert ended.reason_for(Party.CALLER) is Reason.ENDED_BY_LOCAL


# ---------------------------------------------------------------------------------------------
# Consult (warm) transfer: a consult call about a held call, completed or cancelled
# ---------------------------------------------------------------------------------------------

HOLDING = frozenset({"on_hold", "on_double_hold"})


def expected_consult(cfg: Config, agent: int, consulting: bool) -> str | None:
    """The oracle: the code ``agent``'s consult about ``cfg`` fails with, or None."""
    if cfg.phase == "ended":
        return "invalid_state"
    if cfg.pending is not None:
        return "operation_in_progress"
    if seen_by(cfg, agent) not in HOLDING:  # only the agent who answered, holding its caller
        return "invalid_state"
    return "operation_in_progress" if consulting else None


def test_a_consult_is_refused_exactly_as_the_oracle_says_and_changes_nothing_when_allowed():
    mismatches, allowed = [], 0
    for cfg, agent, consulting in itertools.product(CONFIGS, AGENTS, (False, True)):
        expected = expected_consult(cfg, agent, consulting)
        got = attempt(machine.consult, to_call(cfg), agent, consulting=consulting)
        if expected is None:
            allowed += 1
            want = Seen(
                states=(state_of(cfg, CALLER), state_of(cfg, AGENT)),
                seen=tuple(seen_by(cfg, a) for a in AGENTS),
                call=cfg,
                effects=(),
                finished="consult",
                ok=True,
                code="",
                aborted=None,
            )
            if got != want:
                mismatches.append(f"{label(cfg)} agent{agent}: {got}")
        elif got != Refused(expected):
            mismatches.append(f"{label(cfg)} agent{agent}: {got}, not {expected}")
    assert allowed, "no call a consult may start on"
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("phase", PHASES)
def test_a_visitor_cannot_consult(phase):
    with pytest.raises(CallError) as raised:
        machine.check(to_call(Config(phase, "audio")), Party.CALLER, Op.CONSULT)
    assert raised.value.code == "forbidden"


@pytest.mark.parametrize("op", TWO_CALL_OPS)
def test_request_leaves_the_two_call_operations_to_their_own_functions(op):
    with pytest.raises(ValueError, match=op):
        machine.request(answered(held=frozenset({AGENT})), Party.AGENT, Op(op), agent=1)


def as_consult(cfg: Config) -> CallState:
    """``cfg`` as agent 3's consult call to its colleague (the machine's agent side)."""
    return dataclasses.replace(to_call(cfg), from_agent=True, consult=True)


def expected_complete(consulted: Config, held: Config) -> str | None:
    """The oracle: the code agent 3 completing ``consulted`` about ``held`` fails with."""
    if consulted.phase == "ended":
        return "invalid_state"
    if consulted.pending is not None:
        return "operation_in_progress"
    if consulted.phase != "answered":  # the colleague has not agreed (answered) yet
        return "invalid_state"
    # The held call must still be agent 3's answered call, with no operation going on.
    if held.phase == "ended":
        return "invalid_state"
    if held.pending is not None:
        return "operation_in_progress"
    return None if state_of(held, AGENT) in ANSWERED_STATES else "invalid_state"


def held_by_3(cfg: Config) -> CallState:
    """``cfg`` as a visitor's call answered by agent 3 (the one consulting)."""
    legs = tuple((3 if status == "answered" else agent, status) for agent, status in cfg.legs)
    return to_call(cfg._replace(legs=legs))


def test_completing_is_refused_exactly_as_the_oracle_says():
    mismatches, allowed = [], 0
    # One call of each kind the guards tell apart: every pairing of all would be millions.
    kinds = {
        (c.phase, c.pending, state_of(c, CALLER), state_of(c, AGENT), seen_by(c, 1)): c
        for c in CONFIGS
        if c.media == "audio" and not c.queue
    }
    held_calls = consulted_calls = list(kinds.values())
    for consulted, held in itertools.product(consulted_calls, held_calls):
        expected = expected_complete(consulted, held)
        try:
            machine.complete(as_consult(consulted), held_by_3(held), 3)
            got = None
        except CallError as error:
            got = error.code
        allowed += got is None
        if got != expected:
            mismatches.append(f"{label(consulted)} about {label(held)}: {got}, not {expected}")
    assert allowed, "no consult that could be completed"
    assert not mismatches, report(mismatches, len(consulted_calls) * len(held_calls))


def test_only_the_agent_who_consults_completes_and_only_a_consult_call():
    colleague = machine.complete
    with pytest.raises(CallError) as by_colleague:
        machine.check(
            as_consult(Config("answered", "audio", legs=((1, "answered"),))),
            Party.AGENT,
            Op.COMPLETE,
            agent=1,
        )
    assert by_colleague.value.code == "forbidden"
    with pytest.raises(CallError) as not_consult:
        colleague(answered(), answered(), 1)
    assert not_consult.value.code == "invalid_state"


@pytest.mark.parametrize("op", ["forward", "transfer"])
def test_a_call_between_agents_is_not_handed_on(op):
    call = dataclasses.replace(answered(), from_agent=True)
    if op == "forward":
        call = dataclasses.replace(ringing_call(), from_agent=True)
    with pytest.raises(CallError) as raised:
        machine.request(call, Party.AGENT, Op(op), agent=1)
    assert raised.value.code == "not_supported"
    with pytest.raises(CallError) as consult:
        machine.consult(
            dataclasses.replace(call, held=frozenset({Party.AGENT})), 1, consulting=False
        )
    assert consult.value.code == "not_supported"


def test_only_the_visitor_who_called_rates_so_a_call_between_agents_is_not_rated():
    ended = dataclasses.replace(answered(), phase=Phase.ENDED, from_agent=True)
    with pytest.raises(CallError) as raised:
        machine.rate(ended, Party.CALLER)
    assert raised.value.code == "forbidden"


class Consult:
    """Agent 1 answers a visitor's call, holds it and consults agent 2 (a second story, its
    caller agent 1, its agent side agent 2): both calls' histories, as the wire tells them."""

    def __init__(self) -> None:
        self.held = Story("audio")
        self.held.accepted()
        self.held.reoffer(1, "hold")
        assert machine.consult(self.held.call, 1, consulting=False).finished is Op.CONSULT
        self.consult = Story("audio", from_agent=True, consult=True)  # its caller: agent 1
        self.consult.ring(2)

    def complete(self) -> tuple[Step, Step]:
        over, moved = machine.complete(self.consult.call, self.held.call, 1)
        self.consult._take(over)
        self.held._take(moved)
        return over, moved


def test_consult_then_complete_moves_the_held_caller_to_the_colleague_who_takes_it_at_once():
    story = Consult()
    story.consult.do(2, "accept")
    over, moved = story.complete()
    assert (over.finished, moved.finished) == (Op.COMPLETE, Op.TRANSFER)
    assert moved.call.transfer == machine.Transfer(1, machine.TransferStage.OFFER, warm=True)
    assert over.reason_for(Party.CALLER) is over.reason_for(Party.AGENT) is Reason.TRANSFERRED
    # The caller's fresh offer rings agent 2, who answers it: the held caller is with it now.
    story.held._take(machine.fresh_offer(story.held.call, Party.CALLER))
    story.held.ring(2)
    story.held.do(2, "accept")
    held, consult = story.held, story.consult
    assert held.states[CALLER] == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "ringing",
        "in_call",
    ]
    assert held.states[1] == ["ringing", "in_call", "on_hold", "ended"]
    assert held.reasons[1] == ["transferred"]
    assert held.states[2] == ["ringing", "in_call"]
    assert consult.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert consult.states[2] == ["ringing", "in_call", "ended"]
    assert (consult.reasons[CALLER], consult.reasons[2]) == (["transferred"], ["transferred"])
    assert held.call.agent == 2 and held.call.transfer is None


def test_consult_then_cancel_leaves_the_caller_held_by_the_first_agent_who_unholds():
    story = Consult()
    story.consult.do(2, "accept")
    story.consult.do(CALLER, "end")  # the consulting agent cancels: it hangs the consult up
    story.held.reoffer(1, "unhold")
    assert story.consult.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.consult.reasons[CALLER] == ["ended_by_local"]
    assert story.consult.reasons[2] == ["ended_by_remote"]
    assert story.held.states[CALLER] == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "in_call",
    ]
    assert story.held.states[1] == ["ringing", "in_call", "on_hold", "in_call"]


def test_a_consult_the_colleague_rejects_ends_and_leaves_the_caller_held():
    story = Consult()
    story.consult.do(2, "reject")
    assert story.consult.states[CALLER] == ["initiated", "ringing", "ended"]
    assert story.consult.reasons[CALLER] == ["rejected"]
    assert story.held.call.state_for(Party.AGENT) is State.ON_HOLD
    with pytest.raises(CallError) as late:
        story.complete()
    assert late.value.code == "invalid_state"


def test_a_consult_outlives_the_held_caller_hanging_up_but_cannot_complete():
    story = Consult()
    story.consult.do(2, "accept")
    story.held.do(CALLER, "end")
    assert story.consult.call.state_for(Party.CALLER) is State.IN_CALL
    with pytest.raises(CallError) as raised:
        story.complete()
    assert raised.value.code == "invalid_state"
