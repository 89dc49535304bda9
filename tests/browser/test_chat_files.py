"""A photo sent from the widget shows as a thumbnail in the dashboard (both in Chromium);
a file of a type not taken, or over the server's limit, is refused in plain words."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.async_api import expect

from tests.browser.test_browser_to_browser import answered
from tests.support.browser import WAIT_MS, in_progress, tid

pytestmark = pytest.mark.browser


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG (an orange rectangle) the browser can decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xf0\x80\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def loaded(image) -> int:
    """The image's decoded width once it loaded (0 if it could not)."""
    await expect(image).to_be_visible(timeout=WAIT_MS)
    await image.evaluate("(img) => img.decode().catch(() => {})")
    return await image.evaluate("(img) => img.naturalWidth")


async def test_a_photo_from_the_widget_shows_as_a_thumbnail_in_the_dashboard(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "chat-photo.html")
    panel = in_progress(agent, call)
    await tid(visitor, "chat-toggle").click()
    attach = tid(visitor, "chat-attach")
    await expect(attach).to_be_enabled()
    await expect(attach).to_have_attribute("aria-label", "Send a file or photo")
    async with visitor.expect_file_chooser() as chooser:
        await attach.focus()
        await visitor.keyboard.press("Enter")  # reachable and usable from the keyboard
    await (await chooser.value).set_files(
        {"name": "broken part.png", "mimeType": "image/png", "buffer": png()}
    )
    mine = tid(visitor, "chat-thumb")
    assert await loaded(mine) == 40
    await expect(mine).to_have_attribute("alt", "broken part.png")

    await expect(panel.get_by_test_id("chat-unread")).to_have_text("1", timeout=WAIT_MS)
    await panel.get_by_test_id("chat-toggle").click()
    thumb = panel.get_by_test_id("chat-thumb")
    assert await loaded(thumb) == 40  # downloaded with the agent's session, scaled by the page
    await expect(thumb).to_have_attribute("alt", "broken part.png")


async def test_a_disguised_file_is_refused_in_plain_words(web, chromium, dashboards):
    agent, visitor, call = await answered(web, chromium, dashboards, "chat-disguised.html")
    await tid(visitor, "chat-toggle").click()
    await tid(visitor, "chat-file-input").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"%PDF-1.7\n%fake"}
    )
    await expect(tid(visitor, "chat-error")).to_have_text(
        "This type of file can't be sent. Photos (PNG, JPEG, GIF, WebP), PDF and text files can.",
        timeout=WAIT_MS,
    )
    await expect(tid(visitor, "chat-thumb")).to_have_count(0)
    panel = in_progress(agent, call)
    await panel.get_by_test_id("chat-toggle").click()
    await expect(panel.get_by_test_id("chat-message")).to_have_count(0)


async def test_a_file_over_the_servers_limit_is_refused_at_once_saying_the_limit(
    web, chromium, dashboards
):
    agent, visitor, call = await answered(web, chromium, dashboards, "chat-too-large.html")
    await tid(visitor, "chat-toggle").click()
    big = b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024)  # SUPPORTCALL_UPLOAD_MAX_BYTES, and 8
    await tid(visitor, "chat-file-input").set_input_files(
        {"name": "scan.png", "mimeType": "image/png", "buffer": big}
    )
    await expect(tid(visitor, "chat-error")).to_have_text(
        "That file is too large (at most 10.0 MB).", timeout=WAIT_MS
    )
    panel = in_progress(agent, call)
    await panel.get_by_test_id("chat-toggle").click()
    await expect(panel.get_by_test_id("chat-message")).to_have_count(0)
