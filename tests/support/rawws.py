"""A WebSocket client on a bare socket, for clients no library would be: one that never reads.

It speaks just enough RFC 6455 for the tests: the handshake, masked text frames
out, text and close frames in. Its receive buffer is made small before it
connects, so that what it does not read stays on the server's side.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from typing import Any


class RawWebSocket:
    def __init__(self, port: int, path: str = "/ws/v1/calls", receive_buffer: int = 4096):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    @staticmethod
    def frame(text: str) -> bytes:
        """A masked text frame (the all-zero mask leaves the payload as it is)."""
        payload = text.encode()
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        return header + b"\0\0\0\0" + payload

    def send(self, content: Any) -> None:
        self.sock.sendall(self.frame(json.dumps(content)))

    def next_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame from the server (never masked)."""
        while True:
            if len(self.buffer) >= 2:
                opcode, length = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
                at = 2
                if length == 126:
                    at, length = 4, struct.unpack("!H", self.buffer[2:4])[0]
                elif length == 127:
                    at, length = 10, struct.unpack("!Q", self.buffer[2:10])[0]
                if len(self.buffer) >= at + length:
                    payload = self.buffer[at : at + length]
                    self.buffer = self.buffer[at + length :]
                    return opcode, payload
            self.buffer += self._recv()

    def receive(self) -> dict[str, Any]:
        opcode, payload = self.next_frame()
        assert opcode == 0x1, (opcode, payload[:100])
        return json.loads(payload)

    def drain(self, seconds: float = 30) -> tuple[int, int | None]:
        """Read everything the server sent: (bytes of data frames, close code or None).

        None: the connection ended without a close frame, or ``seconds`` passed.
        """
        data, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                opcode, payload = self.next_frame()
            except (ConnectionError, OSError):
                return data, None
            if opcode == 0x8:
                return data, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            data += len(payload)
        return data, None

    def close(self) -> None:
        self.sock.close()
