"""The Python client rates a call against the real server: recorded once, refused otherwise."""

from __future__ import annotations

import pytest

from supportcall.client import CallError
from supportcall.vocabulary import ErrorCode, State


async def test_the_caller_rates_the_call_after_it_ended_and_only_once(clients):
    call, incoming = await clients.answered_call()
    with pytest.raises(CallError) as early:
        await call.rate(5)
    assert early.value.code == ErrorCode.INVALID_STATE
    await call.end()
    await incoming.wait_for_state(State.ENDED, timeout=5)

    with pytest.raises(CallError) as agent:
        await incoming.rate(1)
    assert agent.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(CallError) as bad:
        await call.rate(6)
    assert bad.value.code == ErrorCode.BAD_REQUEST

    ack = await call.rate(5, "Sorted in two minutes")
    assert (ack["call_id"], ack["stars"]) == (call.call_id, 5)
    with pytest.raises(CallError) as again:
        await call.rate(4)
    assert again.value.code == ErrorCode.INVALID_STATE
