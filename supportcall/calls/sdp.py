"""Just enough SDP to check what clients send: its m-lines and their directions.

The server never touches media; it checks that an offer matches the call's
``media`` and that re-offers keep the call's m-lines, so one party's mistake
fails its own request instead of breaking the other party's peer connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode, Media

from .machine import CallError

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_LINE = re.compile(r"^[a-z]=")
_M_LINE = re.compile(r"^m=(\w+) (\d+)(?:/\d+)? (\S+)(?: (.+))?$")
# Line breaks other than CRLF and LF. aiortc (str.splitlines) and browsers split on
# them too, so a line this parser took for one could be several m-lines to a peer.
_OTHER_BREAK = re.compile(r"\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class Section:
    kind: str  # audio, video, application...
    direction: str


def parse(sdp: str) -> list[Section]:
    """The m-sections of ``sdp``; CallError(bad_request) if it is not SDP."""
    other = _OTHER_BREAK.search(sdp)
    if other:
        raise CallError(
            ErrorCode.BAD_REQUEST, f"SDP lines must end with CRLF or LF, not {other.group()!r}"
        )
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise CallError(ErrorCode.BAD_REQUEST, "the SDP must start with 'v=0'")
    session_direction = "sendrecv"
    kinds: list[str] = []
    directions: list[str | None] = []
    for number, line in enumerate(lines, start=1):
        if not _LINE.match(line):
            raise CallError(
                ErrorCode.BAD_REQUEST, f"SDP line {number} is not 'x=value': {line[:40]!r}"
            )
        if line.startswith("m="):
            match = _M_LINE.match(line)
            if not match:
                raise CallError(ErrorCode.BAD_REQUEST, f"SDP line {number} is not a valid m-line")
            kinds.append(match.group(1))
            directions.append(None)
        elif line[2:] in DIRECTIONS:
            if directions:
                directions[-1] = line[2:]
            else:
                session_direction = line[2:]
    if not kinds:
        raise CallError(ErrorCode.BAD_REQUEST, "the SDP has no m-line")
    return [Section(k, d or session_direction) for k, d in zip(kinds, directions, strict=True)]


def check_offer(sdp: str, media: Media) -> list[Section]:
    """An offer for ``call.create`` must match its ``media``: the count and kinds of m-lines."""
    sections = parse(sdp)
    kinds = sorted(s.kind for s in sections)
    expected = {
        Media.VIDEO: ["audio", "video"],
        Media.AUDIO: ["audio", "video"],
        Media.AUDIO_SINGLE: ["audio"],
    }[media]
    if kinds != expected:
        raise CallError(
            ErrorCode.BAD_REQUEST,
            f"media {media!s} needs m-lines {expected}, the offer has {excerpt(kinds)}",
        )
    video = next((s for s in sections if s.kind == "video"), None)
    if media is Media.AUDIO and video and video.direction != "inactive":
        raise CallError(ErrorCode.BAD_REQUEST, "media 'audio' needs its video m-line 'inactive'")
    if media is Media.VIDEO and video and video.direction in ("recvonly", "inactive"):
        raise CallError(ErrorCode.BAD_REQUEST, "media 'video' needs a video m-line that sends")
    return sections


def check_reoffer(sdp: str, original: str, *, hold: bool = False) -> list[Section]:
    """A re-offer keeps the call's m-lines; a hold re-offer makes every one inactive."""
    sections = parse(sdp)
    before = [s.kind for s in parse(original)]
    if [s.kind for s in sections] != before:
        raise CallError(ErrorCode.BAD_REQUEST, f"a re-offer must keep the call's m-lines {before}")
    if hold and any(s.direction != "inactive" for s in sections):
        raise CallError(ErrorCode.BAD_REQUEST, "a hold re-offer must set every m-line 'inactive'")
    return sections


def check_answer(sdp: str, offer: str) -> list[Section]:
    """An answer has exactly the offer's m-lines."""
    sections = parse(sdp)
    offered = [s.kind for s in parse(offer)]
    if [s.kind for s in sections] != offered:
        raise CallError(
            ErrorCode.BAD_REQUEST, f"the answer must have the offer's m-lines {offered}"
        )
    return sections
