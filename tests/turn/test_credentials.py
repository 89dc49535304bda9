"""TURN REST API credentials: the maths coturn checks, their expiry, and the lists made of them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from supportcall import turn

SECRET = "4f1c0d9e7b2a68355e0c1d2b9a8f7e6d"


def test_the_password_is_base64_of_hmac_sha1_of_the_username_keyed_by_the_secret():
    username, password = turn.credential(SECRET, "alice@support.example.com", 1_700_000_000)

    assert username == "1700000000:alice@support.example.com"
    expected = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(password) == expected
    assert len(base64.b64decode(password)) == 20


def test_a_known_vector_gives_the_password_coturn_computes():
    # Computed apart from Python, with OpenSSL:
    #   printf %s '1600000000:ada' | openssl sha1 -hmac 'north-wind' -binary | base64
    username, password = turn.credential("north-wind", "ada", 1_600_000_000)

    assert (username, password) == ("1600000000:ada", "D5ZmaiJNIJ6V/dYRKWLBwr7GJzQ=")


def test_the_username_expires_ttl_seconds_after_now():
    servers = turn.ice_servers(
        identity="v@x", now=1000.7, secret=SECRET, urls=["turn:t:3478"], ttl=600
    )

    assert turn.expiry(servers[0]["username"]) == 1600
    assert servers[0]["username"] == "1600:v@x"


def test_two_identities_get_different_credentials_and_neither_fits_the_other():
    a = turn.credential(SECRET, "visitor-1@x", 2000)
    b = turn.credential(SECRET, "visitor-2@x", 2000)

    assert a[1] != b[1]
    assert turn.credential(SECRET, "visitor-1@x", 2001)[1] != a[1]


def test_stun_urls_go_without_credentials_turn_urls_with_one_then_the_static_list():
    servers = turn.ice_servers(
        identity="a@x",
        now=0,
        secret=SECRET,
        urls=["stun:t:3478", "turn:t:3478?transport=udp", "turns:t:5349?transport=tcp"],
        ttl=60,
        static=[{"urls": "stun:other:3478"}],
    )

    assert servers[0] == {"urls": ["stun:t:3478"]}
    assert servers[1]["urls"] == ["turn:t:3478?transport=udp", "turns:t:5349?transport=tcp"]
    assert servers[1]["username"] == "60:a@x"
    assert servers[2] == {"urls": "stun:other:3478"}


def test_without_urls_only_the_static_list_is_handed_out():
    static = [{"urls": ["turn:static"], "username": "u", "credential": "p"}]

    assert (
        turn.ice_servers(identity="a", now=0, secret="", urls=[], ttl=60, static=static) == static
    )


@pytest.mark.parametrize("secret", ["short", "x" * 64, "abcabcabcabcabcabcabcabcabcabcabc"])
def test_a_short_or_regular_secret_is_refused(secret):
    with pytest.raises(ValueError, match="openssl rand -hex 32"):
        turn.check_secret(secret)


@pytest.mark.parametrize(
    "url",
    [
        "http://t",
        "turn:",
        "turn:t:3478?transport=sctp",
        "stun:t:3478?transport=udp",
        "turn:t:99999",
    ],
)
def test_a_malformed_url_is_refused(url):
    with pytest.raises(ValueError):
        turn.check_urls([url])


def test_good_urls_pass_as_given():
    urls = ["turn:turn.example.com:3478?transport=udp", "turns:[::1]:443?transport=tcp", "stun:t"]

    assert turn.check_urls(urls) == urls
