"""Just enough SDP to check what clients send: its m-lines and their directions.

The server never touches media; it checks that an offer matches the call's
``media`` and that re-offers keep the call's m-lines, so one party's mistake
fails its own request instead of breaking the other party's peer connection.
"""

from __future__ import annotations

import ipaddress
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


# Addresses no peer of a call should be sent to try: the other party's own machine,
# its link (and the cloud metadata service on it), multicast, nowhere. mDNS names
# (``<uuid>.local``, what browsers show instead of a host's address) pass.
_METADATA = {ipaddress.ip_address("fd00:ec2::254")}
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


@dataclass(frozen=True)
class Section:
    kind: str  # audio, video, application...
    direction: str
    mid: str = ""  # its a=mid, if it has one


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
    mids: list[str] = []
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
            mids.append("")
        elif line.startswith("a=mid:") and mids:
            mids[-1] = line[len("a=mid:") :].strip()
        elif line.startswith("a=candidate:"):
            check_candidate(line)
        elif line[2:] in DIRECTIONS:
            if directions:
                directions[-1] = line[2:]
            else:
                session_direction = line[2:]
    if not kinds:
        raise CallError(ErrorCode.BAD_REQUEST, "the SDP has no m-line")
    return [
        Section(k, d or session_direction, mid)
        for k, d, mid in zip(kinds, directions, mids, strict=True)
    ]


def check_candidate(line: str) -> None:
    """A candidate line (``candidate:...``, or an SDP's ``a=candidate:...``) whose address
    a peer may be asked to try; CallError(bad_request) otherwise."""
    if not line.startswith(("candidate:", "a=candidate:")):
        raise CallError(ErrorCode.BAD_REQUEST, "'candidate.candidate' must start with 'candidate:'")
    # candidate:foundation component transport priority address port typ type ...
    parts = line.split(":", 1)[1].split()
    if len(parts) < 8 or parts[6] != "typ" or not (parts[5].isascii() and parts[5].isdigit()):
        raise CallError(
            ErrorCode.BAD_REQUEST,
            "'candidate.candidate' must read 'candidate:foundation component transport "
            "priority address port typ type'",
        )
    where = parts[4]
    if where.lower().endswith(".local"):
        return
    try:
        ip = ipaddress.ip_address(where)
    except ValueError:
        raise CallError(
            ErrorCode.BAD_REQUEST, "a candidate's address must be an IP address or a .local name"
        ) from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip in _METADATA
        # IPv4's 240/4 and broadcast; IPv6's "reserved" holds real ranges (NAT64).
        or (isinstance(ip, ipaddress.IPv4Address) and (ip.is_reserved or ip in _THIS_NETWORK))
    ):
        raise CallError(
            ErrorCode.BAD_REQUEST,
            "a candidate may not point at a loopback, link-local, multicast, "
            "unspecified or reserved address",
        )


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


SENDING = ("sendrecv", "sendonly")
MAX_MID = 64


def check_reoffer(
    sdp: str, original: str, *, hold: bool = False, screen_mid: str = "", screen: bool | None = None
) -> list[Section]:
    """A re-offer keeps the call's m-lines; a hold re-offer makes every one inactive.

    The call's m-lines are the original offer's and, once a ``screen_start`` added it,
    the screen's video m-line after them, whose mid is ``screen_mid``. ``screen``: a
    ``screen_start`` (True: the first one adds that m-line) or ``screen_stop`` (False)
    re-offer, which must send (or not) on the screen's m-line.
    """
    sections = parse(sdp)
    before = [s.kind for s in parse(original)] + (["video"] if screen_mid else [])
    adds = screen is True and not screen_mid
    expected = [*before, "video"] if adds else before
    if [s.kind for s in sections] != expected:
        what = "add one video m-line for the screen after" if adds else "keep"
        raise CallError(
            ErrorCode.BAD_REQUEST, f"a re-offer must {what} the call's m-lines {before}"
        )
    if hold and any(s.direction != "inactive" for s in sections):
        raise CallError(ErrorCode.BAD_REQUEST, "a hold re-offer must set every m-line 'inactive'")
    last = sections[-1]
    if adds and not 0 < len(last.mid) <= MAX_MID:
        raise CallError(
            ErrorCode.BAD_REQUEST,
            f"the screen's m-line needs an a=mid of 1 to {MAX_MID} characters",
        )
    if screen_mid and last.mid != screen_mid:
        raise CallError(
            ErrorCode.BAD_REQUEST,
            f"the screen's m-line (the last) must keep its mid {screen_mid!r}",
        )
    if screen is True and last.direction not in SENDING:
        raise CallError(ErrorCode.BAD_REQUEST, "a screen_start re-offer must send the screen")
    if screen is False and last.direction in SENDING:
        raise CallError(
            ErrorCode.BAD_REQUEST, "a screen_stop re-offer must stop sending the screen"
        )
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
