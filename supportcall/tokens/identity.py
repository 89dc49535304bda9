"""Verified visitors: the identity token a site's backend signs, checked at the anonymous login.

The host site's backend signs a short HS256 JWT with the site's identity secret
(``Site.identity_secret``; the previous one during a rotation's overlap) and its
page hands it to the widget. The login verifies it with PyJWT, the algorithm
pinned to HS256 and the audience to the site's key, then records its ``jti``
(``UsedIdentity``, unique per site) until it expires: a second login with the
same token breaks the constraint on whichever worker it reaches. What it signed
(``sub``, ``name``, ``email``, ``attributes``) travels with the visitor's token
to the call and the agent, apart from the page's unsigned ``context``.

Every refusal is an ``HttpError`` with ``field="identity"`` and a message of its
own (docs/security.md, "Verified visitors").
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from supportcall import text
from supportcall.directory.models import Site
from supportcall.http import MAX_CONTEXT_KEY, HttpError
from supportcall.text import excerpt
from supportcall.vocabulary import ErrorCode

from .models import UsedIdentity

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub"]
MAX_JTI = 200  # UsedIdentity.jti
MAX_NAME = 100  # a display name's length, as the login's display_name
MAX_EMAIL = 254

# The refusals, each its own message (the tests match on these).
REQUIRED = (
    "site {site} lets only verified visitors call: the page must hand the widget an identity token"
)
NO_SECRET = "site {site} has no identity secret, so it cannot verify an identity token"
NOT_A_STRING = "'identity' must be a string: the JWT the site's backend signed"
TOO_LARGE = "the identity token is longer than {limit} characters"
MALFORMED = "the identity token is not a JWT: {detail}"
ALG_NONE = "the identity token is unsigned (alg none): it must be signed with HS256"
WRONG_ALG = "the identity token is signed with {alg}: only HS256 is accepted"
TAMPERED = "the identity token's signature does not match the site's identity secret"
EXPIRED = "the identity token has expired"
NOT_YET = "the identity token is not valid yet (nbf)"
FUTURE = "the identity token was issued in the future (iat)"
TOO_LONG_LIVED = "the identity token lives {lifetime} s (exp - iat): at most {limit} s is accepted"
WRONG_SITE = "the identity token is for another site (aud is not {site})"
MISSING = "the identity token has no '{claim}' claim"
BAD_CLAIM = "the identity token's '{claim}' claim {problem}"
REPLAYED = "the identity token was already used: the site's backend must sign one for each login"


def refuse(code: str, message: str) -> HttpError:
    return HttpError(code, message, field="identity")


def verify_identity(site: Site, token: Any, now: datetime | None = None) -> dict[str, Any] | None:
    """What the site's backend signed about the visitor (``sub``, ``name``, ``email``,
    ``attributes``), or None when no token is given and the site does not require one;
    the token's ``jti`` is used up. Raises ``HttpError`` for every other case."""
    key = excerpt(site.key)
    if token is None or token == "":
        if site.require_verified_identity:
            raise refuse(ErrorCode.FORBIDDEN, REQUIRED.format(site=key))
        return None
    if not isinstance(token, str):
        raise refuse(ErrorCode.BAD_REQUEST, NOT_A_STRING)
    limit = settings.SUPPORTCALL_IDENTITY_TOKEN_SIZE
    if len(token) > limit:
        raise refuse(ErrorCode.BAD_REQUEST, TOO_LARGE.format(limit=limit))
    now = now or timezone.now()
    secrets = site.identity_secrets(now)
    if not secrets:
        raise refuse(ErrorCode.UNAUTHORIZED, NO_SECRET.format(site=key))
    _check_header(token)
    claims = _decode(token, secrets, site.key)
    verified = _signed_fields(claims)
    _use(site, claims, now)
    return verified


def _check_header(token: str) -> None:
    """Refuse an unsigned token or another algorithm before anything reads the claims."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as e:
        raise refuse(ErrorCode.BAD_REQUEST, MALFORMED.format(detail=e)) from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise refuse(ErrorCode.UNAUTHORIZED, ALG_NONE)
    if alg != ALGORITHM:
        raise refuse(ErrorCode.UNAUTHORIZED, WRONG_ALG.format(alg=excerpt(alg)))


def _decode(token: str, secrets: list[str], audience: str) -> dict[str, Any]:
    """The claims, checked with the first secret whose signature matches."""
    leeway = settings.SUPPORTCALL_IDENTITY_LEEWAY
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=audience,
                leeway=leeway,
                # iat is checked below: in the future is a refusal of its own, not nbf's.
                options={"require": REQUIRED_CLAIMS, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            continue  # maybe signed with the previous secret, during the overlap
        except jwt.ExpiredSignatureError:
            raise refuse(ErrorCode.UNAUTHORIZED, EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise refuse(ErrorCode.UNAUTHORIZED, NOT_YET) from None
        except jwt.InvalidAudienceError:
            message = WRONG_SITE.format(site=excerpt(audience))
            raise refuse(ErrorCode.UNAUTHORIZED, message) from None
        except jwt.MissingRequiredClaimError as e:
            raise refuse(ErrorCode.BAD_REQUEST, MISSING.format(claim=e.claim)) from None
        except jwt.InvalidAlgorithmError:
            message = WRONG_ALG.format(alg="another algorithm")
            raise refuse(ErrorCode.UNAUTHORIZED, message) from None
        except jwt.InvalidTokenError as e:  # bad base64 or JSON, a claim's type (sub, jti)
            raise refuse(ErrorCode.BAD_REQUEST, MALFORMED.format(detail=e)) from None
        _check_times(claims, leeway)
        return claims
    raise refuse(ErrorCode.UNAUTHORIZED, TAMPERED)


def _number(claims: dict[str, Any], name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise refuse(ErrorCode.BAD_REQUEST, BAD_CLAIM.format(claim=name, problem="is not a number"))
    return int(value)


def _check_times(claims: dict[str, Any], leeway: int) -> None:
    iat, exp = _number(claims, "iat"), _number(claims, "exp")
    if iat > timezone.now().timestamp() + leeway:
        raise refuse(ErrorCode.UNAUTHORIZED, FUTURE)
    limit = settings.SUPPORTCALL_IDENTITY_MAX_LIFETIME
    if exp - iat > limit:
        raise refuse(ErrorCode.UNAUTHORIZED, TOO_LONG_LIVED.format(lifetime=exp - iat, limit=limit))


def _checked(value: Any, claim: str, max_length: int) -> str:
    """``value`` if it is text fit to store and show, else the claim's own refusal."""
    try:
        return text.check(value, claim, max_length).strip()
    except text.BadText as e:
        problem = str(e).split("' ", 1)[-1]  # "must be a string", "is longer than 100 ..."
        message = BAD_CLAIM.format(claim=claim, problem=problem)
        raise refuse(ErrorCode.BAD_REQUEST, message) from None


def _optional(claims: dict[str, Any], claim: str, max_length: int) -> str:
    value = claims.get(claim)
    return "" if value is None else _checked(value, claim, max_length)


def _signed_fields(claims: dict[str, Any]) -> dict[str, Any]:
    """The fields shown to the agent, each checked for type and size."""
    _checked(claims["jti"], "jti", MAX_JTI)
    sub = _checked(claims["sub"], "sub", settings.SUPPORTCALL_IDENTITY_VALUE)
    if not sub:
        raise refuse(ErrorCode.BAD_REQUEST, BAD_CLAIM.format(claim="sub", problem="is empty"))
    email = _optional(claims, "email", MAX_EMAIL)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem = "is not an email address"
            raise refuse(
                ErrorCode.BAD_REQUEST, BAD_CLAIM.format(claim="email", problem=problem)
            ) from None
    return {
        "sub": sub,
        "name": _optional(claims, "name", MAX_NAME),
        "email": email,
        "attributes": _attributes(claims.get("attributes")),
    }


def _attributes(value: Any) -> dict[str, str]:
    """A flat object of string values, bounded in count and size."""
    if value is None:
        return {}
    flat = BAD_CLAIM.format(claim="attributes", problem="is not a flat object of string values")
    if not isinstance(value, dict):
        raise refuse(ErrorCode.BAD_REQUEST, flat)
    limit = settings.SUPPORTCALL_IDENTITY_ATTRIBUTES
    if len(value) > limit:
        problem = f"has more than {limit} fields"
        raise refuse(ErrorCode.BAD_REQUEST, BAD_CLAIM.format(claim="attributes", problem=problem))
    attributes = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise refuse(ErrorCode.BAD_REQUEST, flat)
        _checked(key, "attributes", MAX_CONTEXT_KEY)
        attributes[key] = _checked(item, f"attributes.{key}", settings.SUPPORTCALL_IDENTITY_VALUE)
    return attributes


def _use(site: Site, claims: dict[str, Any], now: datetime) -> None:
    """Record the token's jti until it expires (and its leeway): one login per token."""
    leeway = settings.SUPPORTCALL_IDENTITY_LEEWAY
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo) + timedelta(seconds=leeway)
    try:
        with transaction.atomic():
            UsedIdentity.objects.create(site=site, jti=claims["jti"], expires=expires, used=now)
    except IntegrityError:
        raise refuse(ErrorCode.UNAUTHORIZED, REPLAYED) from None


def prune(now: datetime, batch: int) -> int:
    """Delete up to ``batch`` used jtis whose tokens have expired (a replay is refused as
    expired from then on); how many went."""
    old = UsedIdentity.objects.filter(expires__lt=now).order_by("expires")
    ids = list(old.values_list("pk", flat=True)[:batch])
    return UsedIdentity.objects.filter(pk__in=ids).delete()[0] if ids else 0
