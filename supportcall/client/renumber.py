"""Keep a call's negotiated RTP numbering in aiortc's re-offers.

aiortc builds every offer from scratch, with its own payload types and
header-extension ids. When the call was first negotiated by a browser (the
agent answering a Chrome visitor), those numbers differ from the ones already
agreed: Chrome refuses the re-offer ("RTP extension ID reassignment not
supported"), or switches payload types that aiortc's receiver, registered
once, then drops. So a re-offer is rewritten to the numbers of the call's
current remote description, matching codecs by name (and H.264 profile) and
extensions by URI; RTX follows its base codec.
"""

from __future__ import annotations

import re

_EXTMAP = re.compile(r"a=extmap:(\d+)(/\w+)? (\S+)(.*)")
_PT_LINE = re.compile(r"a=(rtpmap|fmtp|rtcp-fb):(\d+)(.*)")


def _sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    head: list[str] = []
    media: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        else:
            head.append(line)
    return head, media


def _codecs(section: list[str]) -> tuple[dict[int, str], dict[int, str]]:
    rtpmap: dict[int, str] = {}
    fmtp: dict[int, str] = {}
    for line in section:
        if m := re.match(r"a=rtpmap:(\d+) (.+)", line):
            rtpmap[int(m[1])] = m[2].lower()
        if m := re.match(r"a=fmtp:(\d+) (.+)", line):
            fmtp[int(m[1])] = m[2]
    return rtpmap, fmtp


def _codec_key(pt: int, rtpmap: dict[int, str], fmtp: dict[int, str]) -> tuple | None:
    name = rtpmap[pt]
    if name.startswith("rtx/"):
        return None
    params = fmtp.get(pt, "")
    profile = re.search(r"profile-level-id=(\w+)", params)
    mode = re.search(r"packetization-mode=(\d)", params)
    return name, profile and profile[1].lower(), mode and mode[1]


def _remap(offered: list[str], negotiated: list[str]) -> dict[int, int]:
    """Offered payload type → the negotiated one for the same codec."""
    o_map, o_fmtp = _codecs(offered)
    n_map, n_fmtp = _codecs(negotiated)
    known = {_codec_key(pt, n_map, n_fmtp): pt for pt in n_map if _codec_key(pt, n_map, n_fmtp)}
    remap = {pt: known[k] for pt in o_map if (k := _codec_key(pt, o_map, o_fmtp)) in known}
    for pt, name in o_map.items():
        apt = re.search(r"apt=(\d+)", o_fmtp.get(pt, ""))
        if name.startswith("rtx/") and apt and int(apt[1]) in remap:
            base = remap[int(apt[1])]
            rtx = [
                p
                for p, n in n_map.items()
                if n.startswith("rtx/") and f"apt={base}" in n_fmtp.get(p, "")
            ]
            if rtx:
                remap[pt] = rtx[0]
    return remap


def _renumber_apt(params: str, remap: dict[int, int]) -> str:
    return re.sub(r"apt=(\d+)", lambda a: f"apt={remap.get(int(a[1]), a[1])}", params)


def keep_negotiated(offer: str, negotiated: str) -> str:
    """``offer`` with the payload types and extension ids of ``negotiated``.

    Codecs the negotiated description does not have are left out of the
    offer; m-sections it does not have are kept as they are.
    """
    ids: dict[str, int] = {}
    for line in negotiated.splitlines():
        if m := _EXTMAP.match(line):
            ids.setdefault(m[3], int(m[1]))
    _, negotiated_media = _sections(negotiated)
    head, media = _sections(offer)
    out = head[:]
    for index, section in enumerate(media):
        if index >= len(negotiated_media):
            out += section
            continue
        remap = _remap(section, negotiated_media[index])
        for line in section:
            if line.startswith("m="):
                parts = line.split(" ")
                kept = [str(remap[int(p)]) for p in parts[3:] if p.isdigit() and int(p) in remap]
                out.append(" ".join(parts[:3] + kept))
            elif m := _PT_LINE.match(line):
                if int(m[2]) in remap:
                    rest = _renumber_apt(m[3], remap)
                    out.append(f"a={m[1]}:{remap[int(m[2])]}{rest}")
            elif (m := _EXTMAP.match(line)) and m[3] in ids:
                out.append(f"a=extmap:{ids[m[3]]}{m[2] or ''} {m[3]}{m[4]}")
            else:
                out.append(line)
    return "\r\n".join(out) + "\r\n"
