"""A ``turnserver.conf`` for coturn in the scheme supportcall hands out credentials for.

One source for the configuration: docs/deployment.md shows what this prints for
a production machine (a test checks they agree), ``make run-turn`` runs a
local coturn with it, and the tests run theirs with it. Pure code, no Django::

    python -m supportcall.coturn --secret-file /etc/supportcall/turn_secret \\
        --realm turn.example.com --listen 203.0.113.10 --tls-port 443 \\
        --cert /etc/letsencrypt/live/turn.example.com/fullchain.pem \\
        --pkey /etc/letsencrypt/live/turn.example.com/privkey.pem > /etc/turnserver.conf
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .turn import check_secret

# Where a relay must never send: "this" network, private, shared (carrier NAT),
# loopback, link-local (cloud metadata at 169.254.169.254), IETF protocol
# assignments, 6to4 relays, benchmarking, multicast and reserved; and their IPv6
# counterparts, IPv4-mapped and NAT64 ones included. Otherwise anyone with a
# credential could use the relay to reach the machines behind it. (The
# documentation ranges are not routed anywhere, so they stay usable for examples.)
DENIED_PEERS = (
    "0.0.0.0-0.255.255.255",
    "10.0.0.0-10.255.255.255",
    "100.64.0.0-100.127.255.255",
    "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255",
    "172.16.0.0-172.31.255.255",
    "192.0.0.0-192.0.0.255",
    "192.88.99.0-192.88.99.255",
    "192.168.0.0-192.168.255.255",
    "198.18.0.0-198.19.255.255",
    "224.0.0.0-255.255.255.255",
    "::1",
    "::ffff:0.0.0.0-::ffff:255.255.255.255",
    "64:ff9b::-64:ff9b::ffff:ffff",
    "100::-100::ffff:ffff:ffff:ffff",
    "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
)


@dataclass(frozen=True)
class Coturn:
    """What differs between one coturn and another; the rest is policy, the same everywhere."""

    secret: str
    realm: str
    listen: Sequence[str]  # the addresses coturn listens on (never 0.0.0.0 by accident)
    relay_ip: str | None = None  # the address relayed media leaves from (default: listen)
    external_ip: str | None = None  # public/private pair when coturn sits behind 1:1 NAT
    port: int = 3478
    tls_port: int | None = None  # turns: needs cert and pkey
    cert: str | None = None
    pkey: str | None = None
    min_port: int = 49152
    max_port: int = 65535
    user_quota: int = 12  # allocations per credential: a call needs 1 or 2
    total_quota: int = 1200
    # Peers the relay may reach although DENIED_PEERS lists them: a test network,
    # or 127.0.0.1 for a coturn on a laptop.
    allowed_peers: Sequence[str] = field(default=())
    log_file: str = "stdout"
    userdb: str | None = None  # coturn's own SQLite file (unused with use-auth-secret)
    pidfile: str | None = None


def config(c: Coturn) -> str:
    """The text of a ``turnserver.conf`` for ``c``."""
    check_secret(c.secret)
    if c.tls_port is not None and not (c.cert and c.pkey):
        raise ValueError("turns: (tls_port) needs cert and pkey")
    lines = [
        "# coturn for supportcall: TURN REST API credentials (supportcall/turn.py).",
        "# Made by: python -m supportcall.coturn. Keep it readable by coturn only (0600).",
        "use-auth-secret",
        f"static-auth-secret={c.secret}",
        f"realm={c.realm}",
        "fingerprint",
        *(f"listening-ip={address}" for address in c.listen),
        f"relay-ip={c.relay_ip or c.listen[0]}",
    ]
    if c.external_ip:
        lines.append(f"external-ip={c.external_ip}")
    lines += [f"listening-port={c.port}"]
    if c.tls_port is None:
        lines += ["no-tls", "no-dtls"]
    else:
        lines += [f"tls-listening-port={c.tls_port}", f"cert={c.cert}", f"pkey={c.pkey}"]
        lines += ["no-tlsv1", "no-tlsv1_1"]
    lines += [
        f"min-port={c.min_port}",
        f"max-port={c.max_port}",
        f"user-quota={c.user_quota}",
        f"total-quota={c.total_quota}",
        "stale-nonce=600",
        "no-multicast-peers",
        *(f"denied-peer-ip={peer}" for peer in DENIED_PEERS),
    ]
    if any(peer.startswith("127.") for peer in c.allowed_peers):
        lines.append("allow-loopback-peers")
    lines += [f"allowed-peer-ip={peer}" for peer in c.allowed_peers]
    lines += [
        "no-cli",
        "no-software-attribute",
        "no-rfc5780",
        "no-stun-backward-compatibility",
        f"log-file={c.log_file}",
        "simple-log",
    ]
    lines += [f"userdb={c.userdb}"] if c.userdb else []
    lines += [f"pidfile={c.pidfile}"] if c.pidfile else []
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m supportcall.coturn", description=__doc__)
    parser.add_argument("--secret-file", required=True, type=Path, help="holds the shared secret")
    parser.add_argument("--realm", required=True, help="coturn's realm, e.g. turn.example.com")
    parser.add_argument("--listen", required=True, action="append", help="address to listen on")
    parser.add_argument("--relay-ip", help="address relayed media leaves from (default: --listen)")
    parser.add_argument("--external-ip", help="public[/private] address behind 1:1 NAT")
    parser.add_argument("--port", type=int, default=3478)
    parser.add_argument("--tls-port", type=int, help="turns: port (needs --cert and --pkey)")
    parser.add_argument("--cert")
    parser.add_argument("--pkey")
    parser.add_argument("--min-port", type=int, default=49152)
    parser.add_argument("--max-port", type=int, default=65535)
    parser.add_argument("--allow-peer", action="append", default=[], help="a denied peer to allow")
    parser.add_argument("--log-file", default="stdout")
    parser.add_argument("--userdb", help="coturn's SQLite file (default: coturn's own)")
    parser.add_argument("--pidfile")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = config(
            Coturn(
                secret=args.secret_file.read_text().strip(),
                realm=args.realm,
                listen=args.listen,
                relay_ip=args.relay_ip,
                external_ip=args.external_ip,
                port=args.port,
                tls_port=args.tls_port,
                cert=args.cert,
                pkey=args.pkey,
                min_port=args.min_port,
                max_port=args.max_port,
                allowed_peers=args.allow_peer,
                log_file=args.log_file,
                userdb=args.userdb,
                pidfile=args.pidfile,
            )
        )
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
