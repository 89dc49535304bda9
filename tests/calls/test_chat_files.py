"""Files in the chat: a chat.upload token, the upload's POST, the chat item both parties
get with their own link, downloads for the parties and staff only, replay, retention.

Every refused upload stores nothing and leaves the chat as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient
from django.utils import timezone

from supportcall.calls import chat
from supportcall.calls.machine import Party
from supportcall.calls.models import Call, ChatFile, ChatMessage
from supportcall.directory.models import Site
from supportcall.privacy import erasure, retention
from tests.support.calls import answer, ring
from tests.support.ws import resume, sync

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


async def token(party, call_id: str, name: str, size: int) -> str:
    ack = await party.ok("chat.upload", call_id=call_id, name=name, size=size)
    assert ack["url"] == f"/api/v1/calls/{call_id}/files"
    return ack["token"]


async def post(call_id: str, token: str, name: str, data: bytes, client: AsyncClient | None = None):
    return await (client or AsyncClient()).post(
        f"/api/v1/calls/{call_id}/files",
        data=data,
        content_type="application/octet-stream",
        headers={"Supportcall-Upload-Token": token, "Supportcall-File-Name": name},
    )


async def send(party, call_id: str, name: str, data: bytes):
    return await post(call_id, await token(party, call_id, name, len(data)), name, data)


def stored(media) -> list[bytes]:
    found = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return [p.read_bytes() for p in found]


async def chat_rows(call_id: str) -> list[tuple]:
    rows = ChatMessage.objects.filter(call_id=call_id).order_by("seq")
    return await sync(lambda: list(rows.values_list("seq", "sender", "text", "is_file")))()


async def agent_client(username: str) -> AsyncClient:
    client = AsyncClient()
    user = await sync(User.objects.get)(username=username)
    await client.aforce_login(user)
    return client


async def test_a_photo_sent_by_the_visitor_is_a_chat_item_for_both_each_with_its_own_link(
    call, media
):
    visitor, alice, call_id = call
    await visitor.ok("chat.send", call_id=call_id, text="here is the broken part")
    response = await send(visitor, call_id, "part.png", PNG)
    assert response.status_code == 201, response.content
    assert response.json()["seq"] == 2

    mine = [await visitor.until("chat.message", seq=n) for n in (1, 2)][1]
    theirs = [await alice.until("chat.message", seq=n) for n in (1, 2)][1]
    for event in (mine, theirs):
        assert event["text"] == "part.png" and event["sender"] == "caller"
        assert {k: v for k, v in event["file"].items() if k not in ("id", "url")} == {
            "name": "part.png",
            "size": len(PNG),
            "content_type": "image/png",
            "image": True,
        }
    assert mine["file"]["url"] != theirs["file"]["url"]  # one link per party
    assert stored(media) == [PNG]
    assert await chat_rows(call_id) == [
        (1, "caller", "here is the broken part", False),
        (2, "caller", "part.png", True),
    ]

    # The agent's link opens in its dashboard's session: the image, shown, never sniffed.
    got = await (await agent_client("alice")).get(theirs["file"]["url"])
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PNG
    got.close()
    assert got["Content-Type"] == "image/png"
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in got.get("Content-Disposition", "")
    assert "sandbox" in got["Content-Security-Policy"]
    # The caller's link is the caller's (sent on its connection alone).
    assert (await AsyncClient().get(mine["file"]["url"])).status_code == 200


async def test_a_pdf_from_the_agent_downloads_as_an_attachment(call):
    visitor, alice, call_id = call
    assert (await send(alice, call_id, "invoice 1042.pdf", PDF)).status_code == 201
    event = await visitor.until("chat.message")
    assert (event["sender"], event["file"]["content_type"], event["file"]["image"]) == (
        "agent",
        "application/pdf",
        False,
    )
    got = await AsyncClient().get(event["file"]["url"])
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert "invoice 1042.pdf" in got["Content-Disposition"]


async def test_the_agents_link_is_refused_to_anyone_else_and_a_staff_member_may_open_it(call):
    visitor, alice, call_id = call
    await send(visitor, call_id, "part.png", PNG)
    url = (await alice.until("chat.message"))["file"]["url"]
    assert (await AsyncClient().get(url)).status_code == 403  # no session
    bob = await agent_client("bob")
    refused = await bob.get(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    tampered = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    assert (await (await agent_client("alice")).get(tampered)).status_code == 403

    def staff():
        return User.objects.create_user("sam", password="x", is_staff=True)

    client = AsyncClient()
    await client.aforce_login(await sync(staff)())
    assert (await client.get(url)).status_code == 200


async def test_an_expired_link_is_refused(call, settings):
    visitor, _alice, call_id = call
    await send(visitor, call_id, "part.png", PNG)
    url = (await visitor.until("chat.message"))["file"]["url"]
    settings.SUPPORTCALL_FILE_LINK_TTL = -1  # every link is older than that
    got = await AsyncClient().get(url)
    assert got.status_code == 403 and "expired" in got.json()["error"]["message"]


async def test_a_file_over_the_limit_is_refused_when_asked_and_while_it_is_read(
    call, settings, media
):
    visitor, _, call_id = call
    settings.SUPPORTCALL_UPLOAD_MAX_BYTES = 100
    await visitor.fails("too_large", "chat.upload", call_id=call_id, name="big.png", size=101)
    # A token asked for a small file does not let a larger one in.
    small = await token(visitor, call_id, "big.png", 50)
    refused = await post(call_id, small, "big.png", PNG + bytes(100))
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_large"
    assert stored(media) == [] and await chat_rows(call_id) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", PDF),
        ("photo.png", EXE),
        ("notes.txt", EXE),
        ("page.txt", b"<!doctype html><p>"),
    ],
)
async def test_a_file_whose_content_is_not_what_its_name_says_or_not_taken_is_refused(
    call, media, name, data
):
    visitor, _, call_id = call
    refused = await send(visitor, call_id, name, data)
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "not_supported"
    assert stored(media) == [] and await chat_rows(call_id) == []


async def test_a_name_that_says_a_type_never_taken_is_refused_before_the_upload(call):
    visitor, _, call_id = call
    for name in ("setup.exe", "page.html", "drawing.svg"):
        await visitor.fails("not_supported", "chat.upload", call_id=call_id, name=name, size=10)


async def test_bad_upload_requests_are_refused(call):
    visitor, _, call_id = call
    for fields in (
        {"name": "a.png", "size": 0},
        {"name": "a.png", "size": "10"},
        {"name": "a\x00.png", "size": 10},
        {"name": "///", "size": 10},
        {"size": 10},
    ):
        await visitor.fails("bad_request", "chat.upload", call_id=call_id, **fields)


async def test_a_party_not_in_the_call_gets_no_token_and_a_token_is_for_its_own_call(
    call, parties, media
):
    _visitor, _alice, call_id = call
    stranger = await parties("visitor", display_name="Eve")
    await stranger.fails("not_found", "chat.upload", call_id=call_id, name="x.png", size=10)
    bob = await parties("bob")
    await bob.fails("not_found", "chat.upload", call_id=call_id, name="x.png", size=10)
    other = await parties("visitor", display_name="Zoe")
    carol_call = await ring(other, bob)
    await answer(other, bob, carol_call)
    theirs = await token(other, carol_call, "x.png", len(PNG))
    refused = await post(call_id, theirs, "x.png", PNG)
    assert refused.status_code == 403
    assert (await post(call_id, "not-a-token", "x.png", PNG)).status_code == 401
    assert stored(media) == []


async def test_an_expired_token_is_refused(call, settings, media):
    visitor, _, call_id = call
    issued = await token(visitor, call_id, "part.png", len(PNG))
    settings.SUPPORTCALL_UPLOAD_TOKEN_TTL = -1
    refused = await post(call_id, issued, "part.png", PNG)
    assert refused.status_code == 401 and "expired" in refused.json()["error"]["message"]
    assert stored(media) == []


async def test_a_token_is_good_for_one_file(call, media):
    visitor, _, call_id = call
    issued = await token(visitor, call_id, "part.png", len(PNG))
    assert (await post(call_id, issued, "part.png", PNG)).status_code == 201
    again = await post(call_id, issued, "part.png", PNG)
    assert again.status_code == 403 and "used" in again.json()["error"]["message"]
    assert stored(media) == [PNG]


async def test_no_file_before_the_answer_nor_after_the_end(parties, media):
    visitor = await parties("visitor")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await visitor.fails("invalid_state", "chat.upload", call_id=call_id, name="a.png", size=10)
    await answer(visitor, alice, call_id)
    issued = await token(visitor, call_id, "a.png", len(PNG))
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    refused = await post(call_id, issued, "a.png", PNG)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "invalid_state"
    assert stored(media) == []


async def test_files_are_replayed_on_resume_in_the_chats_order(call):
    visitor, alice, call_id = call
    await visitor.ok("chat.send", call_id=call_id, text="one moment")
    await send(visitor, call_id, "part.png", PNG)
    await visitor.until("chat.message", seq=2)
    await visitor.close()
    await alice.until("call.media", connection="reconnecting")
    back = await resume(visitor)
    replayed = [await back.until("chat.message", seq=n) for n in (1, 2)]
    assert [m["text"] for m in replayed] == ["one moment", "part.png"]
    assert "file" not in replayed[0]
    assert replayed[1]["file"]["name"] == "part.png"
    assert (await AsyncClient().get(replayed[1]["file"]["url"])).status_code == 200


async def test_retention_deletes_the_files_and_their_stored_bytes(call, media):
    visitor, alice, call_id = call
    await send(visitor, call_id, "part.png", PNG)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    assert stored(media) == [PNG]

    def age_and_apply():
        Call.objects.filter(pk=call_id).update(ended=timezone.now() - timedelta(days=10))
        site = Site.objects.get(key="shop")
        site.keep_files_days = 7
        site.save()
        return retention.apply()

    removed = await sync(age_and_apply)()
    assert removed["files"] == 1
    assert stored(media) == []
    assert await sync(ChatFile.objects.count)() == 0
    # The chat keeps its item (the chat's own period decides), without the file.
    assert await chat_rows(call_id) == [(1, "caller", "part.png", True)]
    # Replayed, it says the file is gone.
    replayed = await sync(lambda: chat.replay(Call.objects.get(pk=call_id), Party.CALLER))()
    assert [(m["text"], m["file"]) for m in replayed] == [("part.png", None)]


async def test_erasing_the_visitor_deletes_its_calls_files_and_their_stored_bytes(call, media):
    visitor, alice, call_id = call
    await send(visitor, call_id, "part.png", PNG)
    await send(alice, call_id, "invoice.pdf", PDF)
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("call.state", call_id=call_id, state="ended")
    assert sorted(stored(media)) == sorted([PNG, PDF])

    def erase():
        identity = Call.objects.get(pk=call_id).caller_identity
        site = Site.objects.get(key="shop")
        return erasure.erase(erasure.Visitor(site, identity=identity), by="root").counts

    counts = await sync(erase)()
    assert counts["files"] == 2
    assert stored(media) == []
    assert await sync(ChatFile.objects.count)() == 0
