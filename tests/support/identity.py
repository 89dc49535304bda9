"""Identity tokens as a host site's backend signs them (README, "Verified visitors")."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt

from supportcall.directory.models import Site

_UNSET = object()


def claims(site: str = "shop", **overrides: Any) -> dict[str, Any]:
    """A valid identity token's claims for ``site``; an override of None drops the claim."""
    now = int(time.time())
    values: dict[str, Any] = {
        "aud": site,
        "sub": "customer-42",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "attributes": {"plan": "gold"},
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def sign(secret: str, algorithm: str = "HS256", site: str = "shop", **overrides: Any) -> str:
    return jwt.encode(claims(site, **overrides), secret, algorithm=algorithm)


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token with any header, its signature whatever bytes are given (none for alg none)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    encoded = (json.dumps(header).encode(), json.dumps(payload).encode())
    return ".".join([*(part(p) for p in encoded), part(signature)])


def secret_for(key: str = "shop", require: bool = False) -> str:
    """Give the site an identity secret (as the admin's action does); the secret."""
    site = Site.objects.get(key=key)
    secret = site.rotate_identity_secret()
    if require:
        Site.objects.filter(pk=site.pk).update(require_verified_identity=True)
    return secret
