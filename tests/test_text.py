"""One rule for client text, two edges: HTTP answers 400, the WebSocket bad_request."""

import pytest

from supportcall import text
from supportcall.calls import protocol
from supportcall.calls.machine import CallError
from supportcall.http import HttpError, check_text


@pytest.mark.parametrize(
    ("value", "multiline", "message"),
    [
        ("a\ud800", False, "not valid Unicode"),
        ("a\x00", True, "control characters"),
        ("a\x1b", True, "control characters"),
        ("a\x7f", True, "control characters"),
        ("a\nb", False, "control characters"),
        ("x" * 11, False, "longer than 10"),
        (5, False, "must be a string"),
    ],
)
def test_text_that_is_not_fit_to_store_is_refused_the_same_way_on_both_edges(
    value, multiline, message
):
    with pytest.raises(text.BadText, match=message):
        text.check(value, "f", 10, multiline=multiline)
    with pytest.raises(HttpError, match=message):
        check_text(value, "f", 10, multiline=multiline)


def test_multi_line_text_and_any_script_pass():
    assert text.check("línea 1\r\nzeile 2\tß 😀", "f", 100, multiline=True)
    assert text.check("😀" * 10, "f", 10) == "😀" * 10  # counted in characters, not bytes


def test_an_sdp_over_its_length_is_too_large_and_other_text_a_bad_request():
    with pytest.raises(CallError) as sdp:
        protocol.parse({"type": "call.create", "media": "audio", "sdp": "v" * 60_001})
    with pytest.raises(CallError) as to:
        protocol.parse({"type": "call.create", "media": "audio", "sdp": "v=0", "to": "a" * 255})
    assert (sdp.value.code, to.value.code) == ("too_large", "bad_request")
