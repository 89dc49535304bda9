"""Verified visitors: the anonymous login checks the identity token the site's backend signed.

Every refusal has its own message, matched here whole, and issues no token.
"""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from supportcall.directory.models import Site
from supportcall.tokens import identity
from supportcall.tokens.models import IssuedToken, UsedIdentity
from tests.support.identity import claims, secret_for, sign, unsigned
from tests.support.ws import SHOP

pytestmark = pytest.mark.usefixtures("directory")


def login(token, site="shop", **body):
    return Client().post(
        "/api/v1/anonymous-login",
        {"site": site, "identity": token, **body},
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
    )


def assert_refused(response, status, code, message):
    assert response.status_code == status, response.content
    assert response.json() == {"error": {"code": code, "message": message, "field": "identity"}}
    # The page may read the refusal (the widget explains it), and gets no token.
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert not IssuedToken.objects.exists()


def unauthorized(response, message):
    assert_refused(response, 401, "unauthorized", message)


def bad_request(response, message):
    assert_refused(response, 400, "bad_request", message)


# --- accepted --------------------------------------------------------------


def test_a_token_signed_with_the_sites_secret_makes_a_verified_visitor():
    token = sign(secret_for(), jti="order-page-1")
    response = login(token, display_name="Ada", context={"page": "/cart"})
    assert response.status_code == 201, response.content
    verified = {
        "sub": "customer-42",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "attributes": {"plan": "gold"},
    }
    assert response.json()["verified"] == verified
    row = IssuedToken.objects.get()
    assert (row.verified, row.context, row.display_name) == (verified, {"page": "/cart"}, "Ada")
    used = UsedIdentity.objects.get()
    assert (used.site.key, used.jti) == ("shop", "order-page-1")


def test_only_sub_is_needed_of_the_signed_fields():
    token = sign(secret_for(), name=None, email=None, attributes=None)
    response = login(token)
    assert response.status_code == 201, response.content
    assert response.json()["verified"] == {
        "sub": "customer-42",
        "name": "",
        "email": "",
        "attributes": {},
    }


def test_a_login_without_a_token_on_a_site_that_does_not_require_one_is_anonymous_as_before():
    secret_for()
    response = login(None)
    assert response.status_code == 201
    assert "verified" not in response.json()
    assert IssuedToken.objects.get().verified is None


def test_a_token_within_the_clock_leeway_is_accepted(settings):
    settings.SUPPORTCALL_IDENTITY_LEEWAY = 30
    now = int(time.time())
    token = sign(secret_for(), iat=now + 20, nbf=now + 20, exp=now + 300)
    assert login(token).status_code == 201


# --- refused, each with its own message ------------------------------------


def test_a_tampered_token_is_refused():
    header, _payload, signature = sign(secret_for()).split(".")
    forged = unsigned({"alg": "HS256", "typ": "JWT"}, claims(sub="admin"))
    tampered = ".".join([header, forged.split(".")[1], signature])
    unauthorized(login(tampered), identity.TAMPERED)


def test_a_token_signed_with_another_secret_is_refused():
    secret_for()
    unauthorized(login(sign("another-secret-of-at-least-32-bytes!!")), identity.TAMPERED)


def test_an_expired_token_is_refused():
    now = int(time.time())
    token = sign(secret_for(), iat=now - 400, exp=now - 100)
    unauthorized(login(token), identity.EXPIRED)


def test_a_token_not_valid_yet_is_refused():
    now = int(time.time())
    token = sign(secret_for(), nbf=now + 200, exp=now + 400)
    unauthorized(login(token), identity.NOT_YET)


def test_a_token_issued_in_the_future_is_refused():
    now = int(time.time())
    token = sign(secret_for(), iat=now + 200, exp=now + 400)
    unauthorized(login(token), identity.FUTURE)


def test_a_token_living_longer_than_the_maximum_lifetime_is_refused(settings):
    settings.SUPPORTCALL_IDENTITY_MAX_LIFETIME = 600
    now = int(time.time())
    token = sign(secret_for(), iat=now, exp=now + 601)
    unauthorized(login(token), identity.TOO_LONG_LIVED.format(lifetime=601, limit=600))


def test_a_replayed_token_is_refused_and_the_first_login_stands():
    token = sign(secret_for())
    assert login(token).status_code == 201
    response = login(token)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": identity.REPLAYED,
        "field": "identity",
    }
    assert IssuedToken.objects.count() == 1 and UsedIdentity.objects.count() == 1


def test_a_token_for_another_site_is_refused():
    token = sign(secret_for(), site="other")
    unauthorized(login(token), identity.WRONG_SITE.format(site="'shop'"))


def test_an_unsigned_token_alg_none_is_refused():
    secret_for()
    token = unsigned({"alg": "none", "typ": "JWT"}, claims())
    unauthorized(login(token), identity.ALG_NONE)


# PyJWT warns that a 43-byte key is short for HS512: the point is that HS512 is refused.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_hs512_is_refused_even_with_the_right_secret():
    token = sign(secret_for(), algorithm="HS512")
    unauthorized(login(token), identity.WRONG_ALG.format(alg="'HS512'"))


def test_a_token_claiming_rs256_is_refused():
    secret_for()
    token = unsigned({"alg": "RS256", "typ": "JWT"}, claims(), b"\x01" * 256)
    unauthorized(login(token), identity.WRONG_ALG.format(alg="'RS256'"))


def test_a_token_that_is_not_a_jwt_is_refused():
    secret_for()
    bad_request(login("not-a-jwt"), identity.MALFORMED.format(detail="Not enough segments"))


@pytest.mark.parametrize("claim", ["exp", "iat", "jti", "sub", "aud"])
def test_a_token_missing_a_required_claim_is_refused(claim):
    token = sign(secret_for(), **{claim: None})
    bad_request(login(token), identity.MISSING.format(claim=claim))


@pytest.mark.parametrize(
    ("overrides", "claim", "problem"),
    [
        ({"attributes": {"plan": 3}}, "attributes", "is not a flat object of string values"),
        (
            {"attributes": {"plan": {"tier": "gold"}}},
            "attributes",
            "is not a flat object of string values",
        ),
        ({"attributes": ["gold"]}, "attributes", "is not a flat object of string values"),
        (
            {"attributes": {f"k{i}": "v" for i in range(21)}},
            "attributes",
            "has more than 20 fields",
        ),
        ({"attributes": {"plan": "g" * 201}}, "attributes.plan", "is longer than 200 characters"),
        ({"attributes": {"p" * 65: "gold"}}, "attributes", "is longer than 64 characters"),
        ({"attributes": {"plan": "gold\x00"}}, "attributes.plan", "contains control characters"),
        ({"name": 42}, "name", "must be a string"),
        ({"name": "A" * 101}, "name", "is longer than 100 characters"),
        ({"email": ["ada@example.com"]}, "email", "must be a string"),
        ({"email": "not an address"}, "email", "is not an email address"),
        ({"sub": "c" * 201}, "sub", "is longer than 200 characters"),
        ({"sub": " "}, "sub", "is empty"),
        ({"jti": "j" * 201}, "jti", "is longer than 200 characters"),
        ({"iat": "yesterday"}, "iat", "is not a number"),
        ({"iat": float("-inf")}, "iat", "is not a number"),
    ],
)
def test_a_token_with_a_claim_of_the_wrong_type_or_size_is_refused(overrides, claim, problem):
    token = sign(secret_for(), **overrides)
    bad_request(login(token), identity.BAD_CLAIM.format(claim=claim, problem=problem))
    assert not UsedIdentity.objects.exists()


def test_a_token_larger_than_the_limit_is_refused_before_it_is_decoded(settings):
    settings.SUPPORTCALL_IDENTITY_TOKEN_SIZE = 4096
    secret_for()
    bad_request(login("a" * 4097), identity.TOO_LARGE.format(limit=4096))


def test_an_identity_that_is_not_a_string_is_refused():
    secret_for()
    bad_request(login({"sub": "customer-42"}), identity.NOT_A_STRING)


def test_a_token_for_a_site_without_an_identity_secret_is_refused():
    unauthorized(
        login(sign("a-secret-the-site-never-had-0123456789")),
        identity.NO_SECRET.format(site="'shop'"),
    )


# --- requiring verification ------------------------------------------------


def test_a_site_requiring_verification_refuses_a_visitor_without_a_token():
    secret_for(require=True)
    assert_refused(login(None), 403, "forbidden", identity.REQUIRED.format(site="'shop'"))


def test_a_site_requiring_verification_lets_a_verified_visitor_in():
    token = sign(secret_for(require=True))
    assert login(token).status_code == 201


def test_a_site_cannot_require_verification_before_it_has_a_secret():
    site = Site.objects.get(key="shop")
    site.require_verified_identity = True
    with pytest.raises(Exception, match="identity secret first"):
        site.full_clean()


# --- rotating the secret ---------------------------------------------------


def test_after_a_rotation_both_secrets_are_accepted_during_the_overlap(settings):
    settings.SUPPORTCALL_IDENTITY_ROTATION_OVERLAP = 24 * 3600
    old = secret_for()
    new = Site.objects.get(key="shop").rotate_identity_secret()
    assert new != old
    assert login(sign(old)).status_code == 201
    assert login(sign(new)).status_code == 201
    site = Site.objects.get(key="shop")
    overlap = site.identity_previous_until - timezone.now()
    assert timedelta(hours=23, minutes=59) < overlap <= timedelta(hours=24)


def test_after_the_overlap_the_previous_secret_is_refused():
    old = secret_for()
    new = Site.objects.get(key="shop").rotate_identity_secret()
    Site.objects.filter(key="shop").update(identity_previous_until=timezone.now())
    unauthorized(login(sign(old)), identity.TAMPERED)
    assert login(sign(new)).status_code == 201


def test_each_new_secret_is_random_and_never_a_default():
    site = Site.objects.get(key="shop")
    assert site.identity_secret == ""
    secrets = {site.rotate_identity_secret() for _ in range(3)}
    assert len(secrets) == 3 and all(len(s) >= 40 for s in secrets)


# --- the used jtis ---------------------------------------------------------


def test_a_used_jti_is_kept_until_its_token_expires_then_pruned(settings):
    settings.SUPPORTCALL_IDENTITY_LEEWAY = 30
    now = int(time.time())
    assert login(sign(secret_for(), exp=now + 60)).status_code == 201
    used = UsedIdentity.objects.get()
    assert int(used.expires.timestamp()) == now + 60 + 30
    from supportcall.calls import sweeper

    assert sweeper.prune(used.expires - timedelta(seconds=1)) == 0
    assert sweeper.prune(used.expires + timedelta(seconds=1)) == 1
    assert not UsedIdentity.objects.exists()


def test_the_same_jti_may_be_used_once_on_each_site():
    shop, other = secret_for("shop"), secret_for("other")
    assert login(sign(shop, jti="same")).status_code == 201
    response = Client().post(
        "/api/v1/anonymous-login",
        {"site": "other", "identity": sign(other, site="other", jti="same")},
        content_type="application/json",
        HTTP_ORIGIN="http://other.test",
    )
    assert response.status_code == 201, response.content
