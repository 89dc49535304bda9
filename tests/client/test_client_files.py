"""The Python client sends files in the chat against the real server."""

from __future__ import annotations

import asyncio

import pytest
import requests

from supportcall.client import CallError
from supportcall.vocabulary import ErrorCode

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


async def test_a_file_sent_from_a_path_reaches_both_chats_and_downloads_with_the_callers_link(
    clients, tmp_path
):
    call, incoming = await clients.answered_call()
    photo = tmp_path / "part.png"
    photo.write_bytes(PNG)
    answer = await call.send_file(photo)
    assert answer["file"]["name"] == "part.png" and answer["seq"] == 1
    await call.wait_for(lambda: len(call.chat) == 1)
    await incoming.wait_for(lambda: len(incoming.chat) == 1)
    mine, theirs = call.chat[0].file, incoming.chat[0].file
    assert mine and theirs and (mine["content_type"], theirs["image"]) == ("image/png", True)
    server = call.client.signaling.server_now.rstrip("/")
    got = await asyncio.to_thread(requests.get, server + mine["url"], timeout=10)
    assert got.status_code == 200 and got.content == PNG
    # The agent's link is the agent's: without its dashboard session, refused.
    refused = await asyncio.to_thread(requests.get, server + theirs["url"], timeout=10)
    assert refused.status_code == 403


async def test_a_disguised_file_is_refused_and_bytes_need_a_name(clients):
    call, _ = await clients.answered_call()
    with pytest.raises(CallError) as refused:
        await call.send_file(b"%PDF-1.7\n", "photo.png")
    assert refused.value.code == ErrorCode.NOT_SUPPORTED
    with pytest.raises(ValueError):
        await call.send_file(PNG)
    assert call.chat == ()
