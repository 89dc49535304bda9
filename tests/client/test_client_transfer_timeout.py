"""A transfer nobody answers in SUPPORTCALL_TRANSFER_TIMEOUT falls back on its own (the
sweeper acts on the deadline in the database), on a server with a short one."""

from __future__ import annotations

import pytest

from supportcall.vocabulary import Reason, State
from tests.client.conftest import CLIENT_TEST_ENV
from tests.client.test_client_transfer import (
    AGENT_ANSWERED,
    AGENT_TRANSFERRED,
    BOB,
    VISITOR_TRANSFERRED,
    answered_by_alice,
    audio_flows_both_ways,
)
from tests.support.servers import Server, base_env, prepare


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Its own server: a transfer rings its target 3 s."""
    tmp = tmp_path_factory.mktemp("transfer-timeout")
    env = base_env(tmp, **CLIENT_TEST_ENV, SUPPORTCALL_TRANSFER_TIMEOUT="3")
    prepare(env)
    server = Server(env, tmp).start()
    server.env = env
    yield server
    server.stop()


async def test_a_transfer_ringing_out_comes_back_to_the_first_agent_with_audio(clients):
    call, first, bob = await answered_by_alice(clients)

    await first.transfer(BOB)
    incoming = await bob.next_incoming(timeout=10)  # Bob lets it ring

    await incoming.wait_for_state(State.ENDED, timeout=15)
    assert incoming.end_reason == Reason.NO_ANSWER
    back = await first.client.next_incoming(timeout=10)
    assert back.transferred_by["address"] == first.client.identity
    await back.accept()
    await call.wait_for_state(State.IN_CALL, timeout=10)
    await audio_flows_both_ways(call, back)

    assert clients.record(call.client).states(call) == VISITOR_TRANSFERRED
    assert clients.record(first.client).states(back) == AGENT_TRANSFERRED + AGENT_ANSWERED
    assert clients.record(bob).states(incoming) == ["ringing", "ended"]
