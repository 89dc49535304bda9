"""API keys: hashed at rest, scoped to sites, revocable; every refusal is JSON, never HTML."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportcall.api.models import ApiKey, digest
from tests.api.conftest import Api, make_key
from tests.privacy.records import a_call

pytestmark = pytest.mark.usefixtures("directory")


def refused(client, path: str, authorization: str | None, status: int = 401) -> dict:
    headers = {"authorization": authorization} if authorization is not None else {}
    response = client.get(f"/api/v1/{path}", headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_a_key_is_stored_as_its_hash_only_and_reads_as_sc_prefix_token(shop_key):
    key, secret = shop_key
    prefix, token = secret.removeprefix("sc_").split("_", 1)
    assert (len(prefix), len(token)) == (8, 43) and prefix == key.prefix
    row = ApiKey.objects.values().get(pk=key.pk)
    assert row["hash"] == digest(secret) and secret not in str(row)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Send an API key: Authorization: Bearer <key>."),
        ("", "Send an API key: Authorization: Bearer <key>."),
        ("Basic dXNlcjpwdw==", "Send the key as: Authorization: Bearer <key>."),
        ("Bearer ", "Send the key as: Authorization: Bearer <key>."),
        ("Bearer sc_0000000_short", "This API key is unknown or revoked."),
        ("Bearer sc_00000000_" + "A" * 43, "This API key is unknown or revoked."),
    ],
)
def test_without_a_valid_key_every_endpoint_answers_401_in_json(client, authorization, message):
    for path in ("calls", f"calls/{a_call(1).pk}", "callback-requests", "callback-requests/1"):
        answer = refused(client, path, authorization)
        assert answer == {"error": "unauthorized", "message": message}


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_refused(client, shop_key):
    secret = shop_key[1]
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert refused(client, "calls", f"Bearer {forged}")["error"] == "unauthorized"
    assert Api(client, secret).get("calls")["results"] == []


def test_a_revoked_key_is_refused_from_then_on(client, shop_key):
    key, secret = shop_key
    Api(client, secret).get("calls")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    answer = refused(client, "calls", f"Bearer {secret}")
    assert answer == {"error": "unauthorized", "message": "This API key is unknown or revoked."}


def test_the_401_names_the_bearer_scheme(client):
    response = client.get("/api/v1/calls")
    assert response["WWW-Authenticate"] == 'Bearer realm="supportcall"'


def test_a_key_sees_only_its_sites_records_and_another_sites_record_is_a_404(client, shop_key):
    ours, theirs = a_call(1), a_call(1, site="other")
    shop = Api(client, shop_key[1])
    assert [c["id"] for c in shop.get("calls")["results"]] == [str(ours.pk)]
    assert shop.get(f"calls/{theirs.pk}", 404) == {
        "error": "not_found",
        "message": "No such record.",
    }
    assert shop.get("calls", site="other")["results"] == []

    both = Api(client, make_key("shop", "other")[1])
    assert {c["id"] for c in both.get("calls")["results"]} == {str(ours.pk), str(theirs.pk)}
    assert both.get(f"calls/{theirs.pk}")["site"] == "other"
    assert Api(client, make_key()[1]).get("calls")["results"] == []  # no sites, nothing


def test_last_used_is_written_at_most_once_per_interval(client, shop_key, settings):
    settings.SUPPORTCALL_API_KEY_USE_INTERVAL = 60
    key, secret = shop_key
    api = Api(client, secret)
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None
    api.get("calls")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    api.get("calls")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(seconds=61))
    api.get("calls")
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


def test_a_key_over_its_rate_gets_429_in_json(client, shop_key, settings):
    settings.SUPPORTCALL_API_RATE = 3
    api = Api(client, shop_key[1])
    for _ in range(3):
        api.get("calls")
    answer = api.get("calls", 429)
    assert answer["error"] == "rate_limited" and "throttled" in answer["message"].lower()
    # another key has its own count
    assert Api(client, make_key("shop", name="other")[1]).get("calls")["results"] == []


def test_only_get_is_served_and_other_methods_answer_405_in_json(client, api):
    response = client.post(
        "/api/v1/calls",
        {},
        content_type="application/json",
        headers={"authorization": f"Bearer {api.secret}"},
    )
    assert response.status_code == 405
    assert response.json() == {"error": "not_supported", "message": 'Method "POST" not allowed.'}


def test_an_unknown_record_id_is_a_json_404(api):
    assert api.get("calls/00000000-0000-0000-0000-000000000000", 404)["error"] == "not_found"
    assert api.get("callback-requests/999999", 404)["error"] == "not_found"


def test_a_browser_asking_for_html_gets_json_too(client, api):
    for headers in ({}, {"authorization": f"Bearer {api.secret}"}):
        response = client.get("/api/v1/calls", headers={"accept": "text/html", **headers})
        assert response["Content-Type"] == "application/json"
        assert response.status_code == (200 if headers else 401)
