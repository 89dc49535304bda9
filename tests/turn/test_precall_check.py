"""The check before the call from hosts on three kinds of network, with a real coturn.

The Python client runs its check (``Client.check``) in the visitor's network namespace
(tests/support/netns.py) against daphne's echo peer, which gets a TURN credential of
its own from the same coturn. On a direct link the check is ``good``; when the
namespace's packet filter lets UDP reach only the TURN server's port, only the relay
connects (``relay_only``); with that filter and a credential coturn refuses, nothing
does, and the check says ``blocked`` within its bounded time instead of hanging.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.support.netns import SECRET, Island, Party
from tests.support.servers import Server, base_env, prepare
from tests.turn.test_relay_calls import refused_credentials

CHECK_SECONDS = 8.0
WAIT = 40.0


# The namespaces and coturn are tests/turn/conftest.py's; the server has the check's settings.
@pytest.fixture(scope="module")
def server(island, relay, tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("check-server")
    env = base_env(
        tmp,
        ALLOWED_HOSTS=island.server,
        SUPPORTCALL_TURN_SECRET=SECRET,
        SUPPORTCALL_TURN_URLS=",".join(relay.urls),
        SUPPORTCALL_CHECK_SECONDS=str(CHECK_SECONDS),
        SUPPORTCALL_CHECK_RATE="100",
    )
    prepare(env)
    daphne = Server(env, tmp, host=island.server)
    try:
        yield daphne.start()
    finally:
        daphne.stop()


def iptables(island: Island, *rule: str) -> None:
    subprocess.run(
        island.command(island.visitor, "iptables", *rule), check=True, capture_output=True,
        timeout=20,
    )  # fmt: skip


@pytest.fixture
def udp_only_to_the_relay(island, relay) -> Iterator[None]:
    """The visitor's UDP may go to coturn's port and nowhere else (a strict firewall);
    its TCP to daphne is left alone. Flushed afterwards, even on failure."""
    iptables(island, "-A", "OUTPUT", "-p", "udp", "-d", relay.host, "--dport",
             str(relay.port), "-j", "ACCEPT")  # fmt: skip
    iptables(island, "-A", "OUTPUT", "-p", "udp", "-j", "DROP")
    try:
        yield
    finally:
        iptables(island, "-F", "OUTPUT")


async def run_check(island: Island, server: Server, *args: str) -> dict:
    probe = await Party(island, island.visitor, "check", "--server", server.url, *args).start()
    try:
        assert await probe.event() == {"event": "ready"}, probe.log
        said = await probe.event(timeout=CHECK_SECONDS + WAIT)
        assert said["event"] == "check", probe.log
        return said
    finally:
        await probe.stop()


async def test_a_check_on_a_direct_link_is_good_to_go(island, server):
    said = await run_check(island, server)
    check = said["check"]
    assert (check["verdict"], check["connected"], check["candidate_type"]) == (
        "good", True, "host",
    ), said  # fmt: skip
    assert check["rtt_ms"] is not None


async def test_a_check_where_only_the_relay_is_reachable_says_relay_only(
    island, server, udp_only_to_the_relay
):
    said = await run_check(island, server)
    check = said["check"]
    assert (check["verdict"], check["connected"], check["candidate_type"]) == (
        "relay_only", True, "relay",
    ), said  # fmt: skip


async def test_a_check_with_no_way_through_says_blocked_within_its_time(
    island, server, relay, udp_only_to_the_relay
):
    servers = refused_credentials(island, relay, "wrong")
    said = await run_check(island, server, "--ice-servers", servers)
    assert said["check"] == {"verdict": "blocked", "connected": False, "candidate_type": None,
                             "rtt_ms": None, "loss_pct": None}, said  # fmt: skip
    # Bounded by the check's time (and the TURN refusal), not a hang.
    assert said["seconds"] < CHECK_SECONDS + 5
