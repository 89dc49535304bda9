"""Hosts that cannot reach each other, and a real coturn between them.

:class:`Island` makes two network namespaces, the visitor's and the agent's,
each joined to this (the root) namespace by a veth pair. The root namespace
holds the "server" address, where daphne and coturn listen; the visitor's
namespace reaches it on its own link, the agent's through one host route. No
namespace has a route to the other's subnet, so the only path between the
parties is through the TURN relay, as between two NATed homes. Names and
subnets are unique per run, and :meth:`Island.remove` (called from the
fixtures' ``finally``) deletes everything, so a crashed run cannot break the
next one.

:class:`CoturnProcess` runs Debian's ``turnserver`` with a scratch config made
by ``supportcall.coturn`` (the production one, plus the test network as an
allowed peer), ``--no-cli`` and its log on stdout.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportcall import coturn
from tests.support.servers import ROOT, need, terminate


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def need_coturn() -> None:
    """Skip loudly (fail in CI) without Debian's coturn."""
    need("coturn's turnserver", shutil.which("turnserver") is not None, "apt-get install coturn")


def need_namespaces() -> None:
    """Skip loudly (fail in CI) without root, iproute2 or coturn."""
    need("root (for network namespaces)", os.geteuid() == 0, "the test makes namespaces")
    need("iproute2's ip", shutil.which("ip") is not None, "apt-get install iproute2")
    need_coturn()


def _free_subnets() -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """Two /24s in 10.0.0.0/8 that no interface of this machine uses."""
    used = [
        ipaddress.ip_interface(word).network
        for line in ip("-o", "-4", "addr").stdout.splitlines()
        for word in line.split()[3:4]
    ]
    for _ in range(100):
        second, third = random.randrange(100, 250), random.randrange(0, 254, 2)
        pair = (
            ipaddress.ip_network(f"10.{second}.{third}.0/24"),
            ipaddress.ip_network(f"10.{second}.{third + 1}.0/24"),
        )
        if not any(net.overlaps(other) for net in pair for other in used):
            return pair
    raise RuntimeError("no free 10.x.y.0/24 pair for the test namespaces")


@dataclass
class Side:
    namespace: str
    veth: str  # the root namespace's end
    address: str  # the party's address in its namespace


class Island:
    """The visitor's and the agent's namespaces, and the server address between them."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 0xFFFF:04x}{random.randrange(0xFFFF):04x}"
        visitor_net, agent_net = _free_subnets()
        self.server = str(visitor_net[1])  # daphne and coturn, in the root namespace
        self.visitor = Side(f"scv-{tag}", f"scv{tag}", str(visitor_net[2]))
        self.agent = Side(f"sca-{tag}", f"sca{tag}", str(agent_net[2]))
        self._agent_gateway = str(agent_net[1])
        self._made: list[Side] = []

    def make(self) -> Island:
        for side, gateway in ((self.visitor, self.server), (self.agent, self._agent_gateway)):
            self._made.append(side)
            ip("netns", "add", side.namespace)
            ip("link", "add", side.veth, "type", "veth", "peer", "name", "eth0", "netns",
               side.namespace)  # fmt: skip
            ip("addr", "add", f"{gateway}/24", "dev", side.veth)
            ip("link", "set", side.veth, "up")
            ip("-n", side.namespace, "addr", "add", f"{side.address}/24", "dev", "eth0")
            ip("-n", side.namespace, "link", "set", "eth0", "up")
            ip("-n", side.namespace, "link", "set", "lo", "up")
        # The agent reaches the server address, and nothing else beyond its own link.
        ip("-n", self.agent.namespace, "route", "add", f"{self.server}/32", "via",
           self._agent_gateway)  # fmt: skip
        return self

    def remove(self) -> None:
        """Delete both namespaces (their veth ends go with them); safe to call twice."""
        for side in self._made:
            ip("netns", "del", side.namespace, check=False)
            ip("link", "del", side.veth, check=False)
        self._made.clear()

    def reaches(self, side: Side, host: str, port: int) -> bool:
        """Whether a TCP connection from ``side``'s namespace to ``host:port`` gets an
        answer (accepted or refused) rather than no route."""
        probe = (
            "import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(({host!r}, {port}), timeout=2)\n"
            "except ConnectionRefusedError:\n"
            "    sys.exit(0)\n"
            "except OSError:\n"
            "    sys.exit(1)\n"
        )
        result = subprocess.run(
            ["ip", "netns", "exec", side.namespace, sys.executable, "-c", probe],
            capture_output=True, timeout=20,
        )  # fmt: skip
        return result.returncode == 0

    def command(self, side: Side, *args: str) -> list[str]:
        """``args`` run inside ``side``'s namespace."""
        return ["ip", "netns", "exec", side.namespace, *args]


class PrivateAddress:
    """A private address of this (the root) namespace on a veth pair (this kernel has no
    dummy links): where coturn's relayed candidates live when its clients run here,
    since the server refuses candidates on loopback addresses. Unique per run;
    :meth:`remove` deletes it."""

    def __init__(self) -> None:
        self.link = f"sct{os.getpid() % 0xFFFF:04x}{random.randrange(0xFFFF):04x}"
        self.address = str(_free_subnets()[0][1])
        self._made = False

    def make(self) -> PrivateAddress:
        self._made = True
        ip("link", "add", self.link, "type", "veth", "peer", "name", f"{self.link}p")
        ip("addr", "add", f"{self.address}/32", "dev", self.link)
        ip("link", "set", f"{self.link}p", "up")
        ip("link", "set", self.link, "up")
        return self

    def remove(self) -> None:
        if self._made:
            ip("link", "del", self.link, check=False)
            self._made = False


class CoturnProcess:
    """``turnserver`` on ``listen``, relaying (from ``relay_ip``) between the given peers only."""

    def __init__(
        self,
        tmp: Path,
        secret: str,
        listen: str,
        allowed_peers: list[str],
        relay_ip: str | None = None,
    ) -> None:
        self.host, self.port = listen, _free_tcp_port(listen)
        self.log_path = tmp / f"coturn-{self.port}.log"
        low = random.randrange(20000, 60000, 100)
        self.config_path = tmp / f"turnserver-{self.port}.conf"
        self.config_path.write_text(
            coturn.config(
                coturn.Coturn(
                    secret=secret,
                    realm="supportcall.test",
                    listen=[listen],
                    relay_ip=relay_ip,
                    port=self.port,
                    min_port=low,
                    max_port=low + 99,
                    allowed_peers=allowed_peers,
                    userdb=str(tmp / f"turndb-{self.port}"),
                )
            )
        )
        self.config_path.chmod(0o600)
        self.process: subprocess.Popen | None = None

    @property
    def urls(self) -> list[str]:
        return [f"turn:{self.host}:{self.port}?transport=udp"]

    def start(self) -> CoturnProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["turnserver", "-c", str(self.config_path), "--no-cli", "--log-file", "stdout"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited:\n{self.log()}")
            # It listens on TCP and UDP at once: the TCP listener answering means both are up.
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((self.host, self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"turnserver did not listen on {self.host}:{self.port}:\n{self.log()}")

    def stop(self) -> None:
        terminate(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def _free_tcp_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# The relay tests' coturn secret, and how long a party waits for media and for each step.
SECRET = secrets.token_hex(32)
MEDIA_TIMEOUT = 8.0
WAIT = 40.0  # any one step of a party, generously: two slow cores


class Party:
    """``tests/support/netns_party.py`` running in one namespace."""

    def __init__(self, island: Island, side: Side, role: str, *args: str) -> None:
        self.command = island.command(
            side, sys.executable, "-m", "tests.support.netns_party", role, *args
        )
        self.role = role
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []

    async def start(self) -> Party:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, cwd=ROOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        return self

    async def event(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next JSON line the party prints (its log lines are kept for failures)."""
        assert self.process and self.process.stdout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), max(remaining, 0))
            except TimeoutError:
                silent = f"{self.role} said nothing for {timeout}s"
                raise AssertionError(f"{silent}:\n{self.log}") from None
            if not line:
                raise AssertionError(f"{self.role} exited:\n{self.log}")
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            if text.startswith("{"):
                return json.loads(text)

    def tell(self, line: str) -> None:
        assert self.process and self.process.stdin
        self.process.stdin.write(line.encode() + b"\n")

    @property
    def log(self) -> str:
        return "\n".join(self.lines[-40:])

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def place_call(parties, island: Island, *args: str) -> tuple[Party, Party]:
    agent = await parties(island.agent, "agent", *args)
    visitor = await parties(island.visitor, "visitor", *args)
    visitor.tell("call")
    return visitor, agent
