"""SDP offers and answers shaped like the ones browsers and aiortc send."""

from __future__ import annotations

_HEAD = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {mids}\r\n"
)
_AUDIO = (
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n"
    "a=rtpmap:111 opus/48000/2\r\na={direction}\r\n"
)
_VIDEO = (
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n"
    "a=rtpmap:96 VP8/90000\r\na={direction}\r\n"
)


def sdp(*sections: tuple[str, str]) -> str:
    """An SDP with these (kind, direction) m-lines."""
    body = "".join(
        (_AUDIO if kind == "audio" else _VIDEO).format(mid=i, direction=direction)
        for i, (kind, direction) in enumerate(sections)
    )
    return _HEAD.format(mids=" ".join(str(i) for i in range(len(sections)))) + body


OFFER = {
    "video": sdp(("audio", "sendrecv"), ("video", "sendrecv")),
    "audio": sdp(("audio", "sendrecv"), ("video", "inactive")),
    "audio_single": sdp(("audio", "sendrecv")),
}
ANSWER = {
    "video": sdp(("audio", "sendrecv"), ("video", "sendrecv")),
    "audio": sdp(("audio", "sendrecv"), ("video", "inactive")),
    "audio_single": sdp(("audio", "sendrecv")),
}


def hold(media: str) -> str:
    """A hold re-offer: every m-line inactive."""
    return sdp(*[(kind, "inactive") for kind in _kinds(media)])


def unhold(media: str) -> str:
    return OFFER[media]


def video_start(media: str = "audio") -> str:
    return sdp(("audio", "sendrecv"), ("video", "sendrecv"))


def video_stop(media: str = "video") -> str:
    return sdp(("audio", "sendrecv"), ("video", "recvonly"))


def _kinds(media: str) -> list[str]:
    return ["audio"] if media == "audio_single" else ["audio", "video"]
