"""A client that sends its request a byte at a time (a slowloris) is cut off."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.servers import Server, base_env, prepare

pytestmark = pytest.mark.e2e

DEADLINE = 2.0


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow")
    env = base_env(tmp, SUPPORTCALL_HTTP_HEADER_TIMEOUT=str(DEADLINE))
    prepare(env)
    server = Server(env, tmp).start()
    yield server
    server.stop()


def open_socket(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def closed(sock: socket.socket) -> bool:
    """Whether the server closed it (it sends nothing to a head never finished)."""
    sock.settimeout(0.05)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def test_a_request_head_that_trickles_in_is_cut_off_at_the_deadline(strict_server):
    socks = [open_socket(strict_server) for _ in range(20)]
    start = time.monotonic()
    try:
        # One more header byte a second: Twisted's idle timeout alone never fires.
        while time.monotonic() - start < DEADLINE + 6 and not all(map(closed, socks)):
            for sock in socks:
                try:
                    sock.sendall(b"X")
                except OSError:
                    pass
            time.sleep(1)
        assert all(map(closed, socks)), "some trickling connections are still open"
        assert time.monotonic() - start >= DEADLINE - 0.5
    finally:
        for sock in socks:
            sock.close()


def test_each_request_on_a_kept_alive_connection_gets_its_own_deadline(strict_server):
    sock = socket.create_connection(("127.0.0.1", strict_server.port), timeout=10)
    try:
        # Three requests 1.5 s apart: each within its own deadline, though together
        # they outlast the first one's.
        for _ in range(3):
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b"}"):
                chunk = sock.recv(4096)
                assert chunk, f"closed while answering: {answer[:200]!r}"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            time.sleep(DEADLINE * 0.75)
        # Then idle past the deadline: the connection is closed.
        time.sleep(DEADLINE)
        assert closed(sock)
    finally:
        sock.close()
