"""Files in a call's chat: a token to upload one, storing it, and links to download it.

``upload_token`` (the ``chat.upload`` request) gives a party of an answered call a
signed token, good for SUPPORTCALL_UPLOAD_TOKEN_TTL seconds and for one file,
bound to the call and the sender. ``store`` takes the file the token's POST brings
(size counted while it is read, type by its content, ``sniff``), keeps it through
Django's storage API and puts it in the chat as a message (``chat.post``): each
party's ``chat.message`` carries a download link signed for that party alone
(``link``), good for SUPPORTCALL_FILE_LINK_TTL seconds. ``opened`` checks one.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from supportcall import text
from supportcall.vocabulary import ErrorCode

from . import chat, machine, sniff
from .change import Actor, Change, Delivery, Outcome, locked
from .machine import CallError, Party
from .models import Call, ChatFile, ChatMessage, UsedUploadToken

UPLOAD_SALT = "supportcall.calls.files.upload"
LINK_SALT = "supportcall.calls.files.link"
MAX_NAME = 200
CHUNK = 64 * 1024


def upload_token(actor: Actor, call_id: uuid.UUID, *, name: str, size: int) -> Outcome:
    """A token for one file of ``size`` bytes named ``name``, from this party on this call."""
    name = clean_name(name)
    limit = settings.SUPPORTCALL_UPLOAD_MAX_BYTES
    if size <= 0:
        raise CallError(ErrorCode.BAD_REQUEST, "'size' must be the file's size in bytes")
    if size > limit:
        raise CallError(ErrorCode.TOO_LARGE, f"a file is at most {limit} bytes")
    if (said := sniff.claimed(name)) is not None and said not in sniff.TYPES:
        raise CallError(ErrorCode.NOT_SUPPORTED, f"a {said} file cannot be sent")
    outbox: list[Delivery] = []
    with locked(call_id, actor, outbox) as change:
        machine.chat(change.call, actor.party, agent=actor.agent_id)
        _check_room(change.row)
    ttl = settings.SUPPORTCALL_UPLOAD_TOKEN_TTL
    token = signing.dumps(
        {
            "c": str(call_id),
            "p": str(actor.party),
            "a": actor.agent_id,
            "i": actor.identity,
            "n": secrets.token_urlsafe(16),
        },
        salt=UPLOAD_SALT,
        compress=True,
    )
    return Outcome(
        {
            "call_id": str(call_id),
            "token": token,
            "url": reverse("chat-files", args=[call_id]),
            "expires_in": ttl,
            "max_bytes": limit,
        }
    )


def clean_name(name: str) -> str:
    """A file name fit to show and to offer for saving: its last path part, at most
    MAX_NAME characters, no control characters."""
    try:
        text.check(name, "name", 1000)
    except text.BadText as e:
        raise CallError(ErrorCode.BAD_REQUEST, str(e)) from None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    if not base:
        raise CallError(ErrorCode.BAD_REQUEST, "'name' is not a file name")
    return base[:MAX_NAME]


def _check_room(row: Call) -> None:
    limit = settings.SUPPORTCALL_CHAT_FILES
    if ChatFile.objects.filter(call=row).count() >= limit:
        raise CallError(ErrorCode.RATE_LIMITED, f"a call holds at most {limit} files")


@dataclass(frozen=True)
class Upload:
    """Who a valid upload token lets send a file to which call."""

    call_id: uuid.UUID
    party: Party
    agent_id: int | None
    identity: str
    nonce: str


def read_token(token: str, call_id: uuid.UUID) -> Upload:
    try:
        claims = signing.loads(
            token, salt=UPLOAD_SALT, max_age=settings.SUPPORTCALL_UPLOAD_TOKEN_TTL
        )
    except signing.SignatureExpired:
        raise CallError(
            ErrorCode.UNAUTHORIZED, "the upload token expired: ask for another"
        ) from None
    except signing.BadSignature:
        raise CallError(ErrorCode.UNAUTHORIZED, "not an upload token") from None
    if claims.get("c") != str(call_id):
        raise CallError(ErrorCode.FORBIDDEN, "the upload token is for another call")
    return Upload(call_id, Party(claims["p"]), claims.get("a"), claims["i"], claims["n"])


def read_body(chunks: Iterator[bytes], length: int | None) -> bytes:
    """The file, counted as it is read: refused as soon as it is over the limit."""
    limit = settings.SUPPORTCALL_UPLOAD_MAX_BYTES
    too_large = CallError(ErrorCode.TOO_LARGE, f"a file is at most {limit} bytes")
    if length is not None and length > limit:
        raise too_large
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large
    if not body:
        raise CallError(ErrorCode.BAD_REQUEST, "the file is empty")
    return bytes(body)


def store(upload: Upload, name: str, data: bytes) -> Outcome:
    """Keep the file and put it in the call's chat; the token is spent."""
    name = clean_name(name)
    kind = sniff.type_of(name, data[: sniff.HEAD])
    if kind is None:
        raise CallError(ErrorCode.NOT_SUPPORTED, "this type of file cannot be sent")
    stored = default_storage.save(f"chat/{upload.call_id}/{uuid.uuid4().hex}", ContentFile(data))
    try:
        return _record(upload, name, kind, len(data), stored)
    except BaseException:
        default_storage.delete(stored)
        raise


def _record(upload: Upload, name: str, kind: str, size: int, stored: str) -> Outcome:
    outbox: list[Delivery] = []
    with transaction.atomic():
        expires = timezone.now() + timedelta(seconds=settings.SUPPORTCALL_UPLOAD_TOKEN_TTL)
        try:
            with transaction.atomic():
                UsedUploadToken.objects.create(nonce=upload.nonce, expires=expires)
        except IntegrityError:
            raise CallError(ErrorCode.FORBIDDEN, "this upload token was used already") from None
        row = Call.objects.select_for_update().filter(id=upload.call_id).first()
        if row is None:
            raise CallError(ErrorCode.NOT_FOUND, f"there is no call {upload.call_id}")
        change = Change(row, upload.identity, outbox)
        machine.chat(change.call, upload.party, agent=upload.agent_id)
        _check_room(row)
        shared: list[ChatFile] = []

        def attach(message: ChatMessage) -> None:
            message.is_file = True
            message.save(update_fields=["is_file"])
            shared.append(
                ChatFile.objects.create(
                    call=row,
                    message=message,
                    sender=upload.party,
                    name=name,
                    size=size,
                    content_type=kind,
                    storage_name=stored,
                    created=change.now,
                )
            )

        message = chat.post(change, upload.party, name, attach=attach)
    return Outcome(
        {"call_id": str(row.id), "seq": message.seq, "file": described(shared[0], upload.party)},
        outbox,
    )


def of_message(message: ChatMessage) -> ChatFile | None:
    try:
        return message.file
    except ChatFile.DoesNotExist:
        return None


def described(shared: ChatFile, party: Party) -> dict[str, Any]:
    """A file as a party's chat.message carries it, with its download link for that party."""
    return {
        "id": shared.pk,
        "name": shared.name,
        "size": shared.size,
        "content_type": shared.content_type,
        "image": shared.content_type in sniff.IMAGES,
        "url": link(shared, party),
    }


def link(shared: ChatFile, party: Party) -> str:
    token = signing.dumps({"f": shared.pk, "p": str(party)}, salt=LINK_SALT)
    return reverse("chat-file", args=[token])


@dataclass(frozen=True)
class Opened:
    file: ChatFile
    party: Party


def opened(token: str) -> Opened:
    """The file a download link names, and the party it was made for (or a refusal)."""
    try:
        claims = signing.loads(token, salt=LINK_SALT, max_age=settings.SUPPORTCALL_FILE_LINK_TTL)
    except signing.SignatureExpired:
        raise CallError(ErrorCode.FORBIDDEN, "this link expired") from None
    except signing.BadSignature:
        raise CallError(ErrorCode.FORBIDDEN, "not a link to a file") from None
    shared = ChatFile.objects.select_related("call").filter(pk=claims.get("f")).first()
    if shared is None:
        raise CallError(ErrorCode.NOT_FOUND, "this file was deleted")
    return Opened(shared, Party(claims["p"]))


def prune_tokens(now: datetime | None = None, batch: int = 1000) -> int:
    """Forget a batch of spent upload tokens that expired (they cannot be used again anyway)."""
    old = UsedUploadToken.objects.filter(expires__lt=now or timezone.now())
    ids = list(old.values_list("pk", flat=True)[:batch])
    deleted, _ = UsedUploadToken.objects.filter(pk__in=ids).delete()
    return deleted
