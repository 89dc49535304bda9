"""The check's limits are validated at start-up like every other setting."""

from __future__ import annotations

import pytest

from tests.test_settings import start


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPORTCALL_CHECK_SECONDS", "soon"),
        ("SUPPORTCALL_CHECK_SECONDS", "0"),
        ("SUPPORTCALL_CHECK_SECONDS", "61"),
        ("SUPPORTCALL_CHECK_CONCURRENT", "0"),
        ("SUPPORTCALL_CHECK_CONCURRENT", "1001"),
        ("SUPPORTCALL_CHECK_RATE", "-1"),
        ("SUPPORTCALL_CHECK_RATE", "1001"),
    ],
)
def test_a_bad_check_setting_stops_start_up_naming_it(name, value):
    result = start(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr, result.stderr[-2000:]


def test_the_checks_settings_in_range_start():
    result = start(
        SUPPORTCALL_CHECK_SECONDS="60", SUPPORTCALL_CHECK_CONCURRENT="1", SUPPORTCALL_CHECK_RATE="1"
    )
    assert result.returncode == 0, result.stderr[-2000:]
