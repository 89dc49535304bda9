"""A client that never reads cannot grow the server's memory (issue 10, item 3).

Against a real daphne: what the server sends a client that does not read piles
up in the server's process (Twisted's transport buffer, behind a full socket).
Past SUPPORTCALL_WS_UNSENT bytes the connection is closed with 4008.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from supportcall.vocabulary import Close
from tests.support.rawws import RawWebSocket
from tests.support.servers import DEMO_PASSWORD, Server, base_env, prepare

pytestmark = pytest.mark.e2e

UNSENT = 64 * 1024
# Each `[]` is answered with an error of about 100 bytes: some 30 MB in all, far more
# than the socket's own buffers (the kernel's send buffer grows to tcp_wmem's maximum).
FRAMES = 300_000
KERNEL_BUFFERS = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2]) + 256 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unread")
    env = base_env(
        tmp,
        # Frames over the backlog are refused as they come, each with an error: output
        # as fast as the server reads, and no database work.
        SUPPORTCALL_WS_RATE="100000000",
        SUPPORTCALL_WS_UNSENT=str(UNSENT),
        SUPPORTCALL_IDLE_TIMEOUT="300",
    )
    prepare(env)
    server = Server(env, tmp).start()
    yield server
    server.stop()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_client_that_never_reads_is_closed_4008_with_its_unsent_output_bounded(server):
    login = requests.post(
        server.url + "/api/v1/agent-login",
        json={"username": "alice", "password": DEMO_PASSWORD},
        timeout=10,
    )
    ws = RawWebSocket(server.port)
    try:
        ws.send({"type": "auth", "token": login.json()["token"]})
        assert ws.receive()["type"] == "hello"
        assert server.process is not None
        before = rss_mib(server.process.pid)
        ws.sock.sendall(RawWebSocket.frame("[]") * FRAMES)  # and never read the answers
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "not reading" not in server.log():
            time.sleep(0.2)
        grown = rss_mib(server.process.pid) - before
        data, code = ws.drain()
        print(f"daphne grew {grown:.1f} MiB; the client read {data} bytes, then close {code}")
        assert code == Close.UNREAD, (data, code, server.log())
        assert data <= UNSENT + KERNEL_BUFFERS, data
        # Unbounded, the 30 MB of answers stay in daphne (45 MiB more, never given back).
        assert grown < 15, grown
    finally:
        ws.close()
