"""Issuing and consuming login tokens.

A token is the signed id of an ``IssuedToken`` row plus its claims (role,
identity, site, targets, expiry). The signature stops forgery; the row is the
authority: what a connection may do is read from it, and claims that disagree
with it are refused. The row also makes a token single-use: consuming it is
one conditional UPDATE, so a token replayed on two workers at once opens
exactly one connection.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.utils import timezone

from supportcall.directory.models import Site, address
from supportcall.vocabulary import Role

from .identity import prune as prune_used_identities
from .models import IssuedToken

SALT = "supportcall.tokens"

log = logging.getLogger(__name__)


class InvalidToken(Exception):
    """The token is forged, expired, already used or revoked."""


@dataclass(frozen=True)
class Claims:
    """What a consumed token lets its connection do."""

    token_id: uuid.UUID
    role: Role
    identity: str
    site_id: int | None
    user_id: int | None
    targets: tuple[str, ...]
    display_name: str = ""
    context: dict[str, str] = field(default_factory=dict)
    replaces: str = ""  # a resume token: the channel whose place it takes
    # What the site's backend signed about a verified visitor (tokens.identity), or None.
    verified: dict[str, Any] | None = None


def new_anonymous_identity() -> str:
    return address(f"anonymous-{secrets.token_hex(6)}")


def issue(
    role: Role,
    identity: str,
    *,
    site: Site | None = None,
    user: User | None = None,
    targets: list[str] | None = None,
    origin: str = "",
    display_name: str = "",
    context: dict[str, str] | None = None,
    verified: dict[str, Any] | None = None,
    replaces: str = "",
    ttl: float | None = None,
) -> tuple[str, IssuedToken]:
    now = timezone.now()
    ttl = settings.SUPPORTCALL_TOKEN_TTL if ttl is None else ttl
    row = IssuedToken.objects.create(
        role=role,
        identity=identity,
        site=site,
        user=user,
        targets=targets or [],
        origin=origin,
        display_name=display_name,
        context=context or {},
        verified=verified,
        issued=now,
        expires=now + timedelta(seconds=ttl),
        kind="resume" if replaces else "login",
        replaces=replaces,
    )
    claims = {
        "jti": row.id.hex,
        "role": str(role),
        "sub": identity,
        "site": site.pk if site else None,
        "user": user.pk if user else None,
        "targets": row.targets,
        "exp": int(row.expires.timestamp()),
        "kind": row.kind,
    }
    return signing.dumps(claims, salt=SALT, compress=True), row


# A resume token's paper expiry: the longest a connection is expected to live.
RESUME_TTL = 7 * 24 * 3600


def issue_resume(claims: Claims, channel: str) -> str:
    """A token with these claims that lets the connection on ``channel`` come back once
    after it drops.

    It outlives the connection's grace period on paper (it may be handed out
    hours before the drop); what bounds it is the dropped connection's row,
    which the sweeper deletes when the grace runs out (see calls.connections).
    """
    token, _ = issue(
        claims.role,
        claims.identity,
        # The connection was just let in: its site or user exists (no need to fetch them).
        site=Site(pk=claims.site_id) if claims.site_id else None,
        user=User(pk=claims.user_id) if claims.user_id else None,
        targets=list(claims.targets),
        display_name=claims.display_name,
        context=claims.context,
        verified=claims.verified,
        replaces=channel,
        ttl=RESUME_TTL,
    )
    return token


def _claimed(row: IssuedToken) -> dict[str, Any]:
    """The claims a token for this row was signed with (see ``issue``)."""
    return {
        "role": str(row.role),
        "sub": row.identity,
        "site": row.site_id,
        "user": row.user_id,
        "targets": row.targets,
        "kind": row.kind,
    }


def consume(token: str, kind: str = "login") -> Claims:
    """Check a token of this kind and use it up; raise InvalidToken if it cannot be used."""
    claims = verify(token, kind)
    use(claims, kind)
    return claims


def verify(token: str, kind: str = "login") -> Claims:
    """What a token of this kind lets its connection do, without using it up (see ``use``):
    a connection refused for what the claims say (a wrong Origin) keeps its token.

    The row is the authority: what the connection may do comes from it, and a
    token whose signed claims disagree with its row is refused, so that even a
    leaked signing key cannot turn a visitor's token into an agent's.
    """
    try:
        data = signing.loads(token, salt=SALT)
        token_id = uuid.UUID(hex=data["jti"])
        expires = int(data["exp"])
        signed = {name: data[name] for name in ("role", "sub", "site", "user", "targets")}
        signed["kind"] = data.get("kind", "login")
    except (signing.BadSignature, KeyError, TypeError, ValueError) as e:
        raise InvalidToken("the token is not one this server issued") from e
    now = timezone.now()
    if expires < now.timestamp():
        raise InvalidToken("the token has expired")
    if signed["kind"] != kind:
        raise InvalidToken(f"this is not a {kind} token")
    row = IssuedToken.objects.filter(id=token_id).first()
    if row is None or _claimed(row) != signed:
        # A valid signature over claims this server never issued: the key has leaked.
        log.warning("refused a token whose claims disagree with its row %s", token_id)
        raise InvalidToken("the token is not one this server issued")
    if row.consumed is not None or row.revoked:
        raise InvalidToken("the token was already used, revoked or has expired")
    return Claims(
        token_id=token_id,
        role=Role(row.role),
        identity=row.identity,
        site_id=row.site_id,
        user_id=row.user_id,
        targets=tuple(row.targets),
        display_name=row.display_name,
        context=row.context,
        replaces=row.replaces,
        verified=row.verified,
    )


def use(claims: Claims, kind: str = "login") -> None:
    """Use a verified token up: one conditional UPDATE, so that it opens one connection."""
    now = timezone.now()
    used = IssuedToken.objects.filter(
        id=claims.token_id, consumed__isnull=True, revoked=False, expires__gt=now, kind=kind
    ).update(consumed=now)
    if used != 1:
        raise InvalidToken("the token was already used, revoked or has expired")


def prune(now: datetime | None = None, batch: int = 1000) -> int:
    """Delete up to ``batch`` rows of tokens out of use for SUPPORTCALL_TOKEN_RETENTION:
    expired (a revoked resume token expires when revoked) or used up that long ago, the
    oldest first, through the indexes on ``expires`` and ``consumed``, then the used jtis
    of identity tokens that have expired; how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SUPPORTCALL_TOKEN_RETENTION)
    gone = 0
    for column in ("expires", "consumed"):
        old = IssuedToken.objects.filter(**{f"{column}__lt": cutoff}).order_by(column)
        ids = list(old.values_list("pk", flat=True)[: batch - gone])
        if ids:
            gone += IssuedToken.objects.filter(pk__in=ids).delete()[0]
    if gone < batch:
        gone += prune_used_identities(now, batch - gone)
    return gone
