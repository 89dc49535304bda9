"""The call state machine, tested exhaustively against an oracle written from the contract.

Three parts, top to bottom:

1. Helpers that turn a plain ``Config`` into a machine ``Call`` and any outcome (a ``Step`` or a
   ``CallError``) into plain, comparable values.
2. The oracle: which calls can exist, and what every operation must do to each of them, written
   from ``protocol.md`` (states, rules, end reasons, error codes) and the design decisions the
   lead wrote down (guard order, re-offers pending until ``answer``). It never calls the machine.
3. The tests: every request, answer, expiry and routing step on every reachable call compared
   with the oracle; stories that assert each party's whole history of states; and properties.

Histories record a party's state each time it changes, which is what that party's
``call.state`` events show. Before the call rings, the machine derives ``initiated`` for the
agent side too, so both histories start there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, NamedTuple

import pytest

from supportcall.calls import machine
from supportcall.calls.machine import (
    Call,
    CallError,
    Media,
    Op,
    Party,
    Pending,
    Phase,
    Reason,
    State,
    Step,
)

# ---------------------------------------------------------------------------------------------
# Names, as the contract spells them
# ---------------------------------------------------------------------------------------------

CALLER, AGENT = "caller", "agent"
PARTIES = (CALLER, AGENT)
OTHER = {CALLER: AGENT, AGENT: CALLER}

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
)
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
    "connection_lost",
    "error",
)
# Every (video, others_ringing) pair is tried with every operation: the flags must matter only
# to accept (video) and to an agent's reject or ringing end (others_ringing).
FLAGS = tuple(itertools.product((False, True), repeat=2))
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


class Seen(NamedTuple):
    """Everything one step produced: what both parties see, the call behind it, the outcome."""

    states: tuple[str, str]  # (the caller's, the agent's)
    phase: str
    media: str
    held: tuple[str, ...]
    muted: tuple[str, ...]
    video: tuple[str, ...]
    pending: tuple[str, str] | None
    ended: tuple[tuple[str, str], ...]  # (party, reason), sorted
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


def to_call(cfg: Config) -> Call:
    return Call(
        phase=Phase(cfg.phase),
        media=Media(cfg.media),
        held=parties(cfg.held),
        muted=parties(cfg.muted),
        video=parties(cfg.video),
        pending=None if cfg.pending is None else Pending(Op(cfg.pending[0]), Party(cfg.pending[1])),
    )


def pending_of(pending: Pending | None) -> tuple[str, str] | None:
    return None if pending is None else (str(pending.op), str(pending.by))


def config_of(call: Call) -> Config:
    return Config(
        phase=str(call.phase),
        media=str(call.media),
        held=frozenset(names(call.held)),
        muted=frozenset(names(call.muted)),
        video=frozenset(names(call.video)),
        pending=pending_of(call.pending),
    )


def observe(step: Step) -> Seen:
    call = step.call
    return Seen(
        states=(str(call.state_for(Party.CALLER)), str(call.state_for(Party.AGENT))),
        phase=str(call.phase),
        media=str(call.media),
        held=names(call.held),
        muted=names(call.muted),
        video=names(call.video),
        pending=pending_of(call.pending),
        ended=tuple(sorted((str(party), str(reason)) for party, reason in step.ended.items())),
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

AGENT_ONLY = frozenset({"accept", "reject", "ignore", "forward"})
REOFFERS = frozenset({"hold", "unhold", "video_start", "video_stop", "restart_media"})
VIDEO_OPS = frozenset({"video_start", "video_stop"})

# Rule 5: the party's own state from which it may start each operation.
ALLOWED_FROM: dict[tuple[str, str], frozenset[str]] = {
    **{(op, AGENT): frozenset({"ringing"}) for op in AGENT_ONLY},
    ("end", CALLER): PRE_ANSWER | ANSWERED_STATES,
    ("end", AGENT): frozenset({"ringing"}) | ANSWERED_STATES,
    **{("hold", p): frozenset({"in_call", "remotely_held"}) for p in PARTIES},
    **{("unhold", p): frozenset({"on_hold", "on_double_hold"}) for p in PARTIES},
    **{(op, p): frozenset({"in_call"}) for op in VIDEO_OPS for p in PARTIES},
    **{(op, p): ANSWERED_STATES for op in ("mute", "unmute") for p in PARTIES},
    # An ICE restart may be needed whatever the holds: a network change does not wait.
    **{("restart_media", p): ANSWERED_STATES for p in PARTIES},
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


def takes_effect(cfg: Config, op: str, party: str) -> Config:
    if op not in EFFECT:  # restart_media: the same media on new ICE candidates
        return cfg
    field, adds = EFFECT[op]
    sets = {"held": cfg.held, "muted": cfg.muted, "video": cfg.video}
    sets[field] = sets[field] | {party} if adds else sets[field] - {party}
    return cfg._replace(held=sets["held"], muted=sets["muted"], video=sets["video"])


def expect(
    cfg: Config,
    *,
    ended: dict[str, str] | None = None,
    finished: str | None = None,
    ok: bool = True,
    code: str = "",
    aborted: tuple[str, str] | None = None,
) -> Seen:
    return Seen(
        states=(state_of(cfg, CALLER), state_of(cfg, AGENT)),
        phase=cfg.phase,
        media=cfg.media,
        held=tuple(sorted(cfg.held)),
        muted=tuple(sorted(cfg.muted)),
        video=tuple(sorted(cfg.video)),
        pending=cfg.pending,
        ended=tuple(sorted((ended or {}).items())),
        finished=finished,
        ok=ok,
        code=code,
        aborted=aborted,
    )


def expect_end(cfg: Config, reasons: dict[str, str], finished: str | None = None) -> Seen:
    """The whole call ends: a pending re-offer is cut short and reported as aborted."""
    return expect(
        cfg._replace(phase="ended", pending=None),
        ended=reasons,
        finished=finished,
        aborted=cfg.pending,
    )


def expected_request(
    cfg: Config, party: str, op: str, *, video: bool, others_ringing: bool
) -> Seen | Refused:
    state = state_of(cfg, party)
    # The guards, in the documented order.
    if op in AGENT_ONLY and party == CALLER:
        return Refused("forbidden")
    if cfg.phase == "ended":
        return Refused("invalid_state")
    if cfg.pending is not None and op != "end":
        return Refused("operation_in_progress")
    if op in VIDEO_OPS and cfg.media == "audio_single":
        return Refused("not_supported")
    if op == "accept" and video and cfg.media != "video":
        return Refused("not_supported")
    if state not in ALLOWED_FROM[op, party]:
        return Refused("invalid_state")
    if op in EFFECT:
        field, adds = EFFECT[op]
        if (party in getattr(cfg, field)) == adds:
            return Refused("invalid_state")

    # Allowed. Re-offers wait for the other party's answer and change nothing else.
    if op in REOFFERS:
        return expect(cfg._replace(pending=(op, party)))
    if op in EFFECT:
        return expect(takes_effect(cfg, op, party), finished=op)
    if op == "accept":
        sends = cfg.video | {AGENT} if video else cfg.video
        return expect(cfg._replace(phase="answered", video=sends), finished=op)
    if op == "ignore":
        return expect(cfg, ended={AGENT: "ignored"}, finished=op)
    if op == "forward":
        return expect(cfg, ended={AGENT: "forwarded"}, finished=op)
    if op == "reject" or (op == "end" and party == AGENT and state == "ringing"):
        if others_ringing:
            return expect(cfg, ended={AGENT: "rejected"}, finished=op)
        return expect_end(cfg, {AGENT: "rejected", CALLER: "rejected"}, finished=op)
    assert op == "end"
    if cfg.phase == "answered":
        return expect_end(
            cfg, {party: "ended_by_local", OTHER[party]: "ended_by_remote"}, finished=op
        )
    return expect_end(cfg, {CALLER: "ended_by_local", AGENT: "cancelled"}, finished=op)


def expected_answer(cfg: Config, party: str) -> Seen | Refused:
    if cfg.phase == "ended" or cfg.pending is None or cfg.pending[1] == party:
        return Refused("invalid_state")
    op, by = cfg.pending
    return expect(takes_effect(cfg._replace(pending=None), op, by), finished=op)


def expected_expire(cfg: Config) -> Seen | Refused:
    if cfg.pending is None:
        return Refused("invalid_state")
    return expect(cfg._replace(pending=None), finished=cfg.pending[0], ok=False, code="timeout")


def expected_ring(cfg: Config) -> Seen | Refused:
    if cfg.phase not in PRE_ANSWER:
        return Refused("invalid_state")
    return expect(cfg._replace(phase="ringing"))


def expected_enqueue(cfg: Config) -> Seen | Refused:
    if cfg.phase not in ("initiated", "ringing"):
        return Refused("invalid_state")
    return expect(cfg._replace(phase="queued"))


def expected_give_up(cfg: Config, reason: str) -> Seen | Refused:
    if cfg.phase not in PRE_ANSWER:
        return Refused("invalid_state")
    return expect_end(cfg, {CALLER: reason, AGENT: reason})


def expected_lose(cfg: Config, party: str) -> Seen | Refused:
    if cfg.phase == "ended":
        return Refused("invalid_state")
    return expect_end(cfg, {CALLER: "connection_lost", AGENT: "connection_lost"})


def subsets(items: Iterable[str]) -> list[frozenset[str]]:
    pool = tuple(items)
    return [
        frozenset(chosen)
        for size in range(len(pool) + 1)
        for chosen in itertools.combinations(pool, size)
    ]


def possible_pendings(
    media: str, held: frozenset[str], video: frozenset[str]
) -> Iterator[tuple[str, str] | None]:
    """Re-offers that can be waiting on an answered call: only ones their starter could start."""
    yield None
    for party in PARTIES:
        yield ("restart_media", party)
        yield ("unhold", party) if party in held else ("hold", party)
        if not held and media != "audio_single":
            yield ("video_stop", party) if party in video else ("video_start", party)


def reachable_configs() -> list[Config]:
    """Every call the contract allows to exist, derived by hand from the rules.

    Before the answer nothing can be held, muted or pending, and only a video caller sends
    video. Once answered, holds and mutes are independent per party; video can reach any
    combination except on audio_single; a re-offer can be pending only if its starter could
    start it then. An ended call keeps what it had when it ended, minus any pending re-offer.
    """
    alive = []
    for media in MEDIA:
        caller_video = frozenset({CALLER}) if media == "video" else NOBODY
        alive += [Config(phase, media, video=caller_video) for phase in sorted(PRE_ANSWER)]
        videos = [NOBODY] if media == "audio_single" else subsets(PARTIES)
        for held, muted, video in itertools.product(subsets(PARTIES), subsets(PARTIES), videos):
            alive += [
                Config("answered", media, held, muted, video, pending)
                for pending in possible_pendings(media, held, video)
            ]
    ended = dict.fromkeys(cfg._replace(phase="ended", pending=None) for cfg in alive)
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
    assert sorted(o.value for o in Op) == sorted(OPS)
    assert sorted(p.value for p in Phase) == sorted(PHASES)
    assert sorted(p.value for p in Party) == sorted(PARTIES)


def test_each_party_has_the_other_as_its_other():
    assert Party.CALLER.other is Party.AGENT
    assert Party.AGENT.other is Party.CALLER


def test_the_operation_groups_match_the_contract():
    assert {str(op) for op in machine.REOFFER_OPS} == REOFFERS
    assert {str(op) for op in machine.AGENT_OPS} == AGENT_ONLY
    assert {str(op) for op in machine.VIDEO_OPS} == VIDEO_OPS


# ---------------------------------------------------------------------------------------------
# Exhaustive: every operation on every reachable call, compared with the oracle
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("media", MEDIA)
def test_a_new_call_is_initiated_and_only_a_video_caller_sends_video(media):
    call = machine.start(Media(media))
    caller_video = frozenset({CALLER}) if media == "video" else NOBODY
    assert config_of(call) == Config("initiated", media, video=caller_video)
    assert (call.state_for(Party.CALLER), call.state_for(Party.AGENT)) == ("initiated",) * 2


@pytest.mark.parametrize("cfg", CONFIGS, ids=label)
def test_each_party_sees_the_state_derived_from_the_phase_and_who_holds(cfg):
    call = to_call(cfg)
    assert [call.state_for(Party(p)) for p in PARTIES] == [state_of(cfg, p) for p in PARTIES]


@pytest.mark.parametrize(
    ("phase", "party", "op"),
    list(itertools.product(PHASES, PARTIES, OPS)),
    ids=str,
)
def test_every_request_on_every_reachable_call_follows_the_contract(phase, party, op):
    mismatches, checked = [], 0
    for cfg in CONFIGS_BY_PHASE[phase]:
        for video, others_ringing in FLAGS:
            checked += 1
            expected = expected_request(cfg, party, op, video=video, others_ringing=others_ringing)
            got = attempt(
                machine.request,
                to_call(cfg),
                Party(party),
                Op(op),
                video=video,
                others_ringing=others_ringing,
            )
            if got != expected:
                flags = f"video={video} others_ringing={others_ringing}"
                mismatches.append(f"{label(cfg)} | {flags}: {differences(expected, got)}")
    assert checked, f"no reachable {phase} call to try {op} on"
    assert not mismatches, report(mismatches, checked)


@pytest.mark.parametrize(
    ("phase", "party", "op"),
    list(itertools.product(PHASES, PARTIES, OPS)),
    ids=str,
)
def test_check_refuses_exactly_what_the_oracle_refuses_with_the_same_code(phase, party, op):
    mismatches = []
    for cfg in CONFIGS_BY_PHASE[phase]:
        for video in (False, True):
            try:
                machine.check(to_call(cfg), Party(party), Op(op), video=video)
                checked: str | None = None
            except CallError as error:
                checked = error.code
            expected = expected_request(cfg, party, op, video=video, others_ringing=False)
            refused = expected.code if isinstance(expected, Refused) else None
            if checked != refused:
                mismatches.append(
                    f"{label(cfg)} video={video}: check gave {checked}, not {refused}"
                )
    assert not mismatches, "\n".join(mismatches)


ROUTING: dict[str, tuple[Callable[[Call], Step], Callable[[Config], Seen | Refused]]] = {
    "ring": (machine.ring, expected_ring),
    "enqueue": (machine.enqueue, expected_enqueue),
    "give_up(no_answer)": (
        lambda call: machine.give_up(call, Reason.NO_ANSWER),
        lambda cfg: expected_give_up(cfg, "no_answer"),
    ),
    "give_up(no_agents)": (
        lambda call: machine.give_up(call, Reason.NO_AGENTS),
        lambda cfg: expected_give_up(cfg, "no_agents"),
    ),
    "lose(caller)": (
        lambda call: machine.lose(call, Party.CALLER),
        lambda cfg: expected_lose(cfg, CALLER),
    ),
    "lose(agent)": (
        lambda call: machine.lose(call, Party.AGENT),
        lambda cfg: expected_lose(cfg, AGENT),
    ),
    "answer(caller)": (
        lambda call: machine.answer(call, Party.CALLER),
        lambda cfg: expected_answer(cfg, CALLER),
    ),
    "answer(agent)": (
        lambda call: machine.answer(call, Party.AGENT),
        lambda cfg: expected_answer(cfg, AGENT),
    ),
    "expire": (machine.expire, expected_expire),
}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", list(ROUTING))
def test_every_answer_expiry_and_routing_step_on_every_reachable_call_follows_the_contract(
    step, phase
):
    run, oracle = ROUTING[step]
    mismatches = []
    for cfg in CONFIGS_BY_PHASE[phase]:
        expected, got = oracle(cfg), attempt(run, to_call(cfg))
        if got != expected:
            mismatches.append(f"{label(cfg)}: {differences(expected, got)}")
    assert not mismatches, report(mismatches, len(CONFIGS_BY_PHASE[phase]))


def every_next_call(call: Call) -> Iterator[Call]:
    """Every call one machine step away from ``call``."""
    steps: list[Callable[[], Step]] = [
        partial(machine.ring, call),
        partial(machine.enqueue, call),
        partial(machine.give_up, call, Reason.NO_ANSWER),
        partial(machine.expire, call),
    ]
    for party in Party:
        steps += [partial(machine.answer, call, party), partial(machine.lose, call, party)]
        steps += [
            partial(machine.request, call, party, op, video=video, others_ringing=others)
            for op, (video, others) in itertools.product(Op, FLAGS)
        ]
    for run in steps:
        try:
            yield run().call
        except CallError:
            pass


def test_the_machine_reaches_exactly_the_calls_the_oracle_enumerates():
    reached: set[Call] = set()
    frontier = [machine.start(media) for media in Media]
    while frontier:
        call = frontier.pop()
        if call not in reached:
            reached.add(call)
            frontier.extend(every_next_call(call))
    reached_configs = {config_of(call) for call in reached}
    unexpected = sorted(label(cfg) for cfg in reached_configs - set(CONFIGS))
    unreached = sorted(label(cfg) for cfg in set(CONFIGS) - reached_configs)
    assert not unexpected, f"the machine reaches calls the contract rules out: {unexpected}"
    assert not unreached, f"the oracle enumerates calls the machine never reaches: {unreached}"
    assert len(CONFIGS) == len(set(CONFIGS)) == 937  # 649 before restart_media


# ---------------------------------------------------------------------------------------------
# Named rules (each one is also covered by the exhaustive tests; these read as the spec)
# ---------------------------------------------------------------------------------------------


def answered(media: str = "audio", **changes: Any) -> Call:
    caller_video = frozenset({CALLER}) if media == "video" else NOBODY
    return to_call(Config("answered", media, video=caller_video)._replace(**changes))


def refusal(call: Call, party: str, op: str, **flags: Any) -> str:
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


def test_nobody_can_mute_or_hold_a_call_before_it_is_answered():
    for phase, party, op in itertools.product(PRE_ANSWER, PARTIES, ("mute", "hold")):
        assert refusal(to_call(Config(phase, "audio")), party, op) == "invalid_state"


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
        assert refusal(to_call(Config("ringing", media)), AGENT, "accept", video=True) == (
            "not_supported"
        )


def test_any_operation_but_end_during_a_pending_reoffer_fails_with_operation_in_progress():
    call = answered("video", pending=("video_stop", CALLER))
    for party, op in itertools.product(PARTIES, sorted(set(OPS) - AGENT_ONLY - {"end"})):
        assert refusal(call, party, op) == "operation_in_progress", (party, op)


def test_end_is_never_blocked_by_a_pending_reoffer():
    for pending_by, ender in itertools.product(PARTIES, PARTIES):
        step = machine.request(answered(pending=("hold", pending_by)), Party(ender), Op.END)
        assert step.call.phase is Phase.ENDED and step.call.pending is None
        assert step.aborted == Pending(Op.HOLD, Party(pending_by))


def test_the_agent_cannot_end_a_call_it_is_not_ringing_for():
    for phase in ("initiated", "queued"):
        assert refusal(to_call(Config(phase, "audio")), AGENT, "end") == "invalid_state"


def test_answering_your_own_reoffer_or_no_reoffer_fails_with_invalid_state():
    with pytest.raises(CallError) as own:
        machine.answer(answered(pending=("hold", AGENT)), Party.AGENT)
    with pytest.raises(CallError) as none:
        machine.answer(answered(), Party.CALLER)
    assert own.value.code == none.value.code == "invalid_state"


def test_expiring_with_nothing_pending_fails_with_invalid_state():
    with pytest.raises(CallError) as raised:
        machine.expire(answered())
    assert raised.value.code == "invalid_state"


# ---------------------------------------------------------------------------------------------
# Stories: whole histories of what each party sees
# ---------------------------------------------------------------------------------------------


def sends(call: Call, party: Party) -> str:
    """What a party sends, as the other party's `call.media` events describe it."""
    kinds = [
        kind
        for kind, on in (("audio", party not in call.muted), ("video", party in call.video))
        if on
    ]
    return "+".join(kinds) or "nothing"


class Story:
    """One call driven step by step, recording each party's states and media as they change."""

    def __init__(self, media: str = "audio"):
        self.call = machine.start(Media(media))
        self.states: dict[str, list[str]] = {p: [] for p in PARTIES}
        self.sends: dict[str, list[str]] = {p: [] for p in PARTIES}
        self.step = Step(self.call)
        self._record()

    def _record(self) -> None:
        for p in PARTIES:
            for history, now in (
                (self.states[p], str(self.call.state_for(Party(p)))),
                (self.sends[p], sends(self.call, Party(p))),
            ):
                if not history or history[-1] != now:
                    history.append(now)

    def _take(self, step: Step) -> Step:
        self.call, self.step = step.call, step
        self._record()
        return step

    def ring(self) -> Step:
        return self._take(machine.ring(self.call))

    def enqueue(self) -> Step:
        return self._take(machine.enqueue(self.call))

    def give_up(self, reason: Reason) -> Step:
        return self._take(machine.give_up(self.call, reason))

    def lose(self, party: str) -> Step:
        return self._take(machine.lose(self.call, Party(party)))

    def do(self, party: str, op: str, **flags: Any) -> Step:
        return self._take(machine.request(self.call, Party(party), Op(op), **flags))

    def answer(self, party: str) -> Step:
        return self._take(machine.answer(self.call, Party(party)))

    def expire(self) -> Step:
        return self._take(machine.expire(self.call))

    def refused(self, party: str, op: str, **flags: Any) -> str:
        """The code ``op`` fails with (a refused request leaves the story's call as it was)."""
        return refusal(self.call, party, op, **flags)

    def reoffer(self, party: str, op: str) -> Step:
        """``party`` starts a re-offer and the other party answers it."""
        before = self.call
        waiting = self.do(party, op)
        # Nothing changes but the pending op until the answer arrives.
        assert waiting.call == dataclasses.replace(before, pending=Pending(Op(op), Party(party)))
        assert (waiting.finished, waiting.ended) == (None, {})
        done = self.answer(OTHER[party])
        assert (done.finished, done.ok, done.call.pending) == (op, True, None)
        return done

    def accepted(self, video: bool = False) -> Step:
        self.ring()
        return self.do(AGENT, "accept", video=video)


def test_caller_holds_unholds_and_hangs_up():
    story = Story("audio")
    story.accepted()
    story.reoffer(CALLER, "hold")
    story.reoffer(CALLER, "unhold")
    end = story.do(CALLER, "end")
    caller, agent = story.states[CALLER], story.states[AGENT]
    assert caller == ["initiated", "ringing", "in_call", "on_hold", "in_call", "ended"]
    assert agent == ["initiated", "ringing", "in_call", "remotely_held", "in_call", "ended"]
    assert end.ended == {Party.CALLER: Reason.ENDED_BY_LOCAL, Party.AGENT: Reason.ENDED_BY_REMOTE}
    assert (end.finished, end.aborted) == (Op.END, None)


def test_double_hold_unwinds_with_the_first_to_unhold_remotely_held():
    story = Story("audio")
    story.accepted()
    story.reoffer(CALLER, "hold")
    story.reoffer(AGENT, "hold")
    assert story.refused(CALLER, "hold") == story.refused(AGENT, "hold") == "invalid_state"
    story.reoffer(CALLER, "unhold")
    # The caller no longer holds but the agent still does: the caller is remotely held and may
    # not unhold again; the agent still holds alone.
    assert story.refused(CALLER, "unhold") == "invalid_state"
    assert story.refused(CALLER, "video_start") == "invalid_state"
    story.reoffer(AGENT, "unhold")
    story.do(AGENT, "end")
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
    assert story.states[AGENT] == [
        "initiated",
        "ringing",
        "in_call",
        "remotely_held",
        "on_double_hold",
        "on_hold",
        "in_call",
        "ended",
    ]
    assert story.step.ended == {
        Party.AGENT: Reason.ENDED_BY_LOCAL,
        Party.CALLER: Reason.ENDED_BY_REMOTE,
    }


def test_a_hold_that_times_out_fails_and_leaves_the_call_as_it_was():
    story = Story("audio")
    story.accepted()
    before = story.call
    story.do(AGENT, "hold")
    assert story.refused(CALLER, "mute") == "operation_in_progress"
    timeout = story.expire()
    assert (timeout.finished, timeout.ok, timeout.code) == (Op.HOLD, False, "timeout")
    assert (timeout.ended, timeout.aborted) == ({}, None)
    assert timeout.call == before
    # The late answer finds nothing to answer; a new operation is free to start.
    with pytest.raises(CallError):
        machine.answer(story.call, Party.CALLER)
    story.do(CALLER, "mute")
    story.do(CALLER, "end")
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[AGENT] == ["initiated", "ringing", "in_call", "ended"]
    assert story.sends[CALLER] == ["audio", "nothing"]


def test_video_is_started_on_an_audio_call_and_stopped_again():
    story = Story("audio")
    assert story.refused(AGENT, "accept", video=True) == "not_supported"
    story.accepted(video=False)
    assert story.refused(CALLER, "video_stop") == "invalid_state"
    story.reoffer(CALLER, "video_start")
    assert story.refused(CALLER, "video_start") == "invalid_state"
    story.reoffer(AGENT, "video_start")
    story.reoffer(CALLER, "video_stop")
    story.do(AGENT, "end")
    assert story.sends[CALLER] == ["audio", "audio+video", "audio"]
    assert story.sends[AGENT] == ["audio", "audio+video"]
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[AGENT] == ["initiated", "ringing", "in_call", "ended"]


def test_a_video_call_accepted_with_video_sends_video_both_ways():
    story = Story("video")
    story.accepted(video=True)
    story.do(CALLER, "mute")
    story.reoffer(AGENT, "video_stop")
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
    assert story.refused(AGENT, "accept", video=True) == "not_supported"
    story.accepted()
    assert story.refused(CALLER, "video_start") == "not_supported"
    assert story.refused(AGENT, "video_start") == "not_supported"
    story.reoffer(CALLER, "hold")
    assert story.refused(AGENT, "video_start") == "not_supported"
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "on_hold"]
    assert story.sends[CALLER] == ["audio"]
    assert story.sends[AGENT] == ["audio"]


def test_caller_cancels_while_ringing():
    story = Story()
    story.ring()
    cancel = story.do(CALLER, "end")
    assert cancel.ended == {Party.CALLER: Reason.ENDED_BY_LOCAL, Party.AGENT: Reason.CANCELLED}
    assert story.states[CALLER] == ["initiated", "ringing", "ended"]
    assert story.states[AGENT] == ["initiated", "ringing", "ended"]
    assert story.refused(CALLER, "end") == "invalid_state"


def test_caller_cancels_while_queued_or_still_being_routed():
    queued = Story()
    queued.enqueue()
    queued.do(CALLER, "end")
    routed = Story()
    routed.do(CALLER, "end")
    for story in (queued, routed):
        assert story.step.ended == {
            Party.CALLER: Reason.ENDED_BY_LOCAL,
            Party.AGENT: Reason.CANCELLED,
        }
    assert queued.states[CALLER] == ["initiated", "queued", "ended"]
    assert routed.states[CALLER] == ["initiated", "ended"]


def test_a_reject_while_other_agents_ring_ends_only_that_agents_leg():
    story = Story()
    story.ring()
    reject = story.do(AGENT, "reject", others_ringing=True)
    assert reject.ended == {Party.AGENT: Reason.REJECTED}
    assert (reject.finished, reject.call) == (Op.REJECT, to_call(Config("ringing", "audio")))
    story.do(AGENT, "accept")  # another agent answers
    assert story.states[CALLER] == ["initiated", "ringing", "in_call"]


def test_the_last_agents_reject_ends_the_call_as_rejected_for_both():
    story = Story()
    story.ring()
    reject = story.do(AGENT, "reject", others_ringing=False)
    assert reject.ended == {Party.AGENT: Reason.REJECTED, Party.CALLER: Reason.REJECTED}
    assert story.states[CALLER] == ["initiated", "ringing", "ended"]


@pytest.mark.parametrize("others_ringing", [False, True])
def test_an_agent_ending_a_ringing_call_rejects_it(others_ringing):
    story = Story()
    story.ring()
    end = story.do(AGENT, "end", others_ringing=others_ringing)
    assert end.finished == Op.END
    if others_ringing:
        assert end.ended == {Party.AGENT: Reason.REJECTED}
        assert story.states[CALLER] == ["initiated", "ringing"]
    else:
        assert end.ended == {Party.AGENT: Reason.REJECTED, Party.CALLER: Reason.REJECTED}
        assert story.states[CALLER] == ["initiated", "ringing", "ended"]


def test_an_ignored_call_rings_on_without_telling_the_caller_until_nobody_answers():
    story = Story()
    story.ring()
    ignore = story.do(AGENT, "ignore")
    assert ignore.ended == {Party.AGENT: Reason.IGNORED}
    assert Party.CALLER not in ignore.ended
    assert ignore.call == to_call(Config("ringing", "audio"))
    give_up = story.give_up(Reason.NO_ANSWER)
    assert give_up.ended == {Party.CALLER: Reason.NO_ANSWER, Party.AGENT: Reason.NO_ANSWER}
    assert give_up.finished is None
    assert story.states[CALLER] == ["initiated", "ringing", "ended"]


def test_a_forwarded_call_keeps_ringing_for_the_new_target():
    story = Story("video")
    story.ring()
    forward = story.do(AGENT, "forward")
    assert forward.ended == {Party.AGENT: Reason.FORWARDED}
    assert (forward.finished, forward.call.phase) == (Op.FORWARD, Phase.RINGING)
    story.do(AGENT, "accept", video=True)  # the forward target answers
    assert story.states[CALLER] == ["initiated", "ringing", "in_call"]
    assert story.call.video == {Party.CALLER, Party.AGENT}


def test_a_queued_call_is_rung_requeued_and_rung_again_before_it_is_answered():
    story = Story()
    story.enqueue()
    assert story.refused(AGENT, "accept") == "invalid_state"
    story.ring()
    story.do(AGENT, "ignore")
    story.enqueue()
    story.ring()
    story.do(AGENT, "accept")
    assert story.states[CALLER] == [
        "initiated",
        "queued",
        "ringing",
        "queued",
        "ringing",
        "in_call",
    ]


def test_a_call_nobody_can_take_ends_with_no_agents():
    story = Story()
    story.give_up(Reason.NO_AGENTS)
    assert story.step.ended == {Party.CALLER: Reason.NO_AGENTS, Party.AGENT: Reason.NO_AGENTS}
    assert story.states[CALLER] == ["initiated", "ended"]


def test_losing_the_connection_during_a_pending_hold_aborts_it():
    story = Story()
    story.accepted()
    story.do(CALLER, "hold")
    lost = story.lose(AGENT)
    assert lost.ended == {Party.CALLER: Reason.CONNECTION_LOST, Party.AGENT: Reason.CONNECTION_LOST}
    assert lost.aborted == Pending(Op.HOLD, Party.CALLER)
    assert (lost.finished, lost.call.pending) == (None, None)
    # The hold never took effect, and nothing can finish it now.
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "ended"]
    assert story.states[AGENT] == ["initiated", "ringing", "in_call", "ended"]
    for late in (
        lambda: machine.answer(story.call, Party.AGENT),
        lambda: machine.expire(story.call),
    ):
        with pytest.raises(CallError) as raised:
            late()
        assert raised.value.code == "invalid_state"


def test_hanging_up_during_the_other_partys_video_start_aborts_it():
    story = Story()
    story.accepted()
    story.do(AGENT, "video_start")
    end = story.do(CALLER, "end")
    assert end.ended == {Party.CALLER: Reason.ENDED_BY_LOCAL, Party.AGENT: Reason.ENDED_BY_REMOTE}
    assert end.aborted == Pending(Op.VIDEO_START, Party.AGENT)
    assert end.call.video == frozenset()
    assert story.sends[AGENT] == ["audio"]


def test_a_held_call_can_still_be_muted_and_ended_by_the_held_party():
    story = Story()
    story.accepted()
    story.reoffer(AGENT, "hold")
    story.do(CALLER, "mute")
    story.do(CALLER, "end")
    assert story.states[CALLER] == ["initiated", "ringing", "in_call", "remotely_held", "ended"]
    assert story.states[AGENT] == ["initiated", "ringing", "in_call", "on_hold", "ended"]
    assert story.sends[CALLER] == ["audio", "nothing"]
    assert story.step.ended[Party.CALLER] is Reason.ENDED_BY_LOCAL


# ---------------------------------------------------------------------------------------------
# Properties over every reachable call
# ---------------------------------------------------------------------------------------------


def every_request() -> Iterator[tuple[Config, str, str, bool, bool]]:
    for cfg, party, op, (video, others) in itertools.product(CONFIGS, PARTIES, OPS, FLAGS):
        yield cfg, party, op, video, others


def test_a_call_is_frozen():
    call = to_call(CONFIGS[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.phase = Phase.ENDED  # type: ignore[misc]
    assert all(isinstance(getattr(call, f), frozenset) for f in ("held", "muted", "video"))


def test_check_and_request_never_change_the_call_they_are_given():
    changed = []
    for cfg, party, op, video, others in every_request():
        call = to_call(cfg)
        with contextlib.suppress(CallError):
            machine.check(call, Party(party), Op(op), video=video)
        with contextlib.suppress(CallError):
            machine.request(call, Party(party), Op(op), video=video, others_ringing=others)
        if config_of(call) != cfg:
            changed.append(f"{label(cfg)} {party} {op}")
    assert not changed


def test_no_request_ever_succeeds_on_an_ended_call():
    succeeded = []
    for cfg, party, op, video, others in every_request():
        if cfg.phase != "ended":
            continue
        got = attempt(
            machine.request, to_call(cfg), Party(party), Op(op), video=video, others_ringing=others
        )
        if not isinstance(got, Refused):
            succeeded.append(f"{label(cfg)} {party} {op}: {got}")
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


def test_every_step_that_ends_the_call_gives_both_parties_a_reason_and_clears_the_pending_op():
    for cfg, party, op, video, others in every_request():
        try:
            step = machine.request(
                to_call(cfg), Party(party), Op(op), video=video, others_ringing=others
            )
        except CallError:
            continue
        if step.call.phase is Phase.ENDED:
            assert set(step.ended) == {Party.CALLER, Party.AGENT}, label(cfg)
            assert all(isinstance(reason, Reason) for reason in step.ended.values())
            assert step.call.pending is None
            assert step.aborted == to_call(cfg).pending
        else:
            assert step.aborted is None
            # Only the agent's own ringing leg can end without the call ending.
            assert set(step.ended) <= {Party.AGENT}, label(cfg)


def test_every_successful_request_either_finishes_at_once_or_waits_for_an_answer():
    for cfg, party, op, video, others in every_request():
        try:
            step = machine.request(
                to_call(cfg), Party(party), Op(op), video=video, others_ringing=others
            )
        except CallError:
            continue
        assert (step.ok, step.code) == (True, "")
        if op in REOFFERS:
            assert step.finished is None and step.call.pending == Pending(Op(op), Party(party))
        else:
            assert step.finished == op and step.call.pending is None
