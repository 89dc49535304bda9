"""aiortc's re-offers keep the payload types and extension ids a browser negotiated."""

from supportcall.client.renumber import keep_negotiated

CHROME = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\na=sendrecv\r\n"
)
AIORTC = (
    "v=0\r\no=- 9 9 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 96 0 8\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=rtpmap:96 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=inactive\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99 100\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=rtpmap:97 VP8/90000\r\na=rtcp-fb:97 nack\r\n"
    "a=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:100 rtx/90000\r\na=fmtp:100 apt=99\r\na=inactive\r\n"
)


def lines(sdp: str, prefix: str) -> list[str]:
    return [line for line in sdp.splitlines() if line.startswith(prefix)]


def test_payload_types_follow_the_negotiated_codecs():
    renumbered = keep_negotiated(AIORTC, CHROME)
    assert lines(renumbered, "m=") == [
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",  # PCMA was never negotiated: dropped
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103",
    ]
    assert "a=rtpmap:111 opus/48000/2" in renumbered
    assert "a=rtcp-fb:96 nack" in renumbered


def test_rtx_follows_its_base_codec():
    renumbered = keep_negotiated(AIORTC, CHROME)
    assert "a=fmtp:97 apt=96" in renumbered
    assert "a=fmtp:103 apt=102" in renumbered


def test_extension_ids_keep_their_negotiated_numbers():
    renumbered = keep_negotiated(AIORTC, CHROME)
    assert lines(renumbered, "a=extmap:") == [
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:10 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    ]


def test_directions_and_everything_else_are_left_alone():
    renumbered = keep_negotiated(AIORTC, CHROME)
    assert lines(renumbered, "a=inactive") == ["a=inactive", "a=inactive"]
    assert renumbered.startswith("v=0\r\no=- 9 9 IN IP4 0.0.0.0\r\n")


def test_an_offer_already_in_the_negotiated_numbers_is_unchanged():
    assert keep_negotiated(AIORTC, AIORTC) == AIORTC
