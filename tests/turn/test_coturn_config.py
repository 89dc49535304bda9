"""The turnserver.conf docs/deployment.md shows is the one `python -m supportcall.coturn` makes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from supportcall import coturn
from tests.support.servers import ROOT

DEPLOYMENT = ROOT / "docs" / "deployment.md"
SECRET = "<the output of: openssl rand -hex 32>"


def documented(what: str) -> str:
    text = DEPLOYMENT.read_text()
    blocks = re.findall(rf"```{what}\n(.*?)```", text, re.S)
    assert blocks, f"no ```{what} block in docs/deployment.md"
    return blocks[0]


def test_the_documented_config_is_what_the_documented_command_prints(tmp_path):
    secret_file = tmp_path / "turn_secret"
    secret_file.write_text(SECRET + "\n")
    command = documented("sh").split("\n", 1)[1].split(">", 1)[0].replace("\\\n", " ")
    args = shlex.split(command)[3:]  # after "python -m supportcall.coturn"
    args[args.index("--secret-file") + 1] = str(secret_file)
    made = subprocess.run(
        [sys.executable, "-m", "supportcall.coturn", *args],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert made.stdout == documented("ini")


def test_the_config_lets_only_rest_api_credentials_in_and_keeps_the_relay_off_private_ranges():
    text = coturn.config(
        coturn.Coturn(secret="f" + "0123456789abcdef" * 2, realm="r", listen=["x"])
    )
    lines = text.splitlines()
    for needed in ("use-auth-secret", "no-cli", "no-multicast-peers", "fingerprint"):
        assert needed in lines
    for private in ("10.0.0.0-10.255.255.255", "127.0.0.0-127.255.255.255",
                    "169.254.0.0-169.254.255.255", "172.16.0.0-172.31.255.255",
                    "192.168.0.0-192.168.255.255", "100.64.0.0-100.127.255.255",
                    "0.0.0.0-0.255.255.255", "::1",
                    "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"):  # fmt: skip
        assert f"denied-peer-ip={private}" in lines
    assert not [line for line in lines if line.startswith(("allowed-peer-ip", "allow-loopback"))]
    assert "no-tls" in lines  # no certificate given: no turns: listener


def test_a_weak_secret_or_turns_without_a_certificate_is_refused():
    with pytest.raises(ValueError, match="at least 32"):
        coturn.config(coturn.Coturn(secret="short", realm="r", listen=["x"]))
    with pytest.raises(ValueError, match="cert"):
        coturn.config(
            coturn.Coturn(secret="0123456789abcdef" * 2, realm="r", listen=["x"], tls_port=443)
        )
