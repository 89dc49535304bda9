"""What a file is, by its first bytes (never its name): the types the chat takes.

``sniff`` names one of ``TYPES`` or None. ``claimed`` is the type a file's name
says (its extension), so a name that claims one type for content of another (a
PDF called ``photo.png``, a program called ``notes.txt``) is refused whatever it says.
"""

from __future__ import annotations

PNG, JPEG, GIF, WEBP, PDF, TEXT = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)
TYPES = (PNG, JPEG, GIF, WEBP, PDF, TEXT)
IMAGES = frozenset({PNG, JPEG, GIF, WEBP})
HEAD = 4096  # bytes read to decide

# What names claim: the usual extensions of the types above, and of types a name
# could pass off as one of them (never taken: their content is not one of TYPES, or,
# for markup and scripts that are text, a browser would treat them as more than text).
EXTENSIONS = {
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
    "webp": WEBP,
    "pdf": PDF,
    "txt": TEXT,
    "log": TEXT,
    "csv": TEXT,
    "html": "text/html",
    "htm": "text/html",
    "svg": "image/svg+xml",
    "js": "text/javascript",
    "xml": "application/xml",
    "exe": "application/x-msdownload",
    "zip": "application/zip",
}


def sniff(head: bytes) -> str | None:
    """The type of a file that starts with ``head`` (up to HEAD bytes), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return TEXT if _is_text(head) else None


def _is_text(head: bytes) -> bool:
    """UTF-8 text without control characters but tabs and line breaks (a character cut
    at the end of ``head`` is fine); not markup a browser would take for a page."""
    if not head:
        return False
    for cut in range(4):  # the last character may be cut by HEAD
        try:
            text = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text):
        return False
    start = text.lstrip("\ufeff \t\r\n")[:64].lower()
    return not start.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script"))


def claimed(name: str) -> str | None:
    """The type ``name``'s extension claims, if it is one known."""
    stem, dot, extension = name.rpartition(".")
    return EXTENSIONS.get(extension.lower()) if dot and stem else None


def type_of(name: str, head: bytes) -> str | None:
    """The file's type if the chat takes it: its content one of TYPES, which its name,
    if it claims a type, agrees with."""
    found = sniff(head)
    if found is None:
        return None
    said = claimed(name)
    return found if said in (None, found) else None
