"""Staff make API keys in the admin (shown once, stored hashed), revoke them, and export
calls and callback requests as CSV with the list API's fields, formulas defused."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from supportcall.api.export import cell
from supportcall.api.models import ApiKey, digest
from supportcall.callbacks.models import CallbackRequest
from supportcall.calls.models import Call
from supportcall.directory.models import Site
from tests.api.conftest import Api
from tests.privacy.records import a_call
from tests.support.queries import queries

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def test_a_new_key_is_shown_once_then_only_its_prefix(admin_client, client):
    shop = Site.objects.get(key="shop")
    page = admin_client.post(
        reverse("admin:api_apikey_add"), {"name": "Helpdesk", "sites": [shop.pk]}, follow=True
    ).content.decode()
    key = ApiKey.objects.get()
    secret = page.split("API key Helpdesk: ")[1].split(".")[0]
    assert secret.startswith(f"sc_{key.prefix}_") and key.hash == digest(secret)
    assert list(key.sites.all()) == [shop]
    for url in (
        reverse("admin:api_apikey_change", args=[key.pk]),
        reverse("admin:api_apikey_changelist"),
    ):
        again = admin_client.get(url).content.decode()
        assert secret not in again and f"sc_{key.prefix}_…" in again
    assert Api(client, secret).get("calls")["results"] == []


def test_revoking_stops_the_key_at_once(admin_client, client, shop_key):
    key, secret = shop_key
    page = admin_client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    ).content.decode()
    assert "Keys revoked: 1." in page
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert (
        client.get("/api/v1/calls", headers={"authorization": f"Bearer {secret}"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ann = Anne", "Ann = Anne"),
        ("", ""),
        (None, ""),
        (4.5, "4.5"),
        ({"b": 1, "a": "é"}, '{"a": "é", "b": 1}'),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_gets_an_apostrophe(value, written):
    assert cell(value) == written


def export(admin_client, model: str, pks: list) -> list[dict]:
    response = admin_client.post(
        reverse(f"admin:{model}_changelist"),
        {"action": "export_csv", "_selected_action": [str(pk) for pk in pks]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_calls_export_has_the_list_apis_fields_for_the_chosen_calls(admin_client, api):
    first, second, left_out = a_call(1), a_call(2), a_call(3)
    Call.objects.filter(pk=second.pk).update(caller_display_name="=cmd|' /C calc'!A0")
    rows = export(admin_client, "calls_call", [first.pk, second.pk])
    listed = api.get("calls")["results"][:2]
    assert [r["id"] for r in rows] == [str(first.pk), str(second.pk)]
    assert list(rows[0]) == [
        "id", "site", "to", "queue", "media", "status", "caller.identity",
        "caller.display_name", "agent.address", "agent.name", "created", "answered", "ended",
        "outcome", "ended_by", "disposition", "wait_seconds", "talk_seconds",
    ]  # fmt: skip
    for row, record in zip(rows, listed, strict=True):
        assert row["agent.address"] == record["agent"]["address"]
        assert (row["created"], row["outcome"], row["talk_seconds"]) == (
            record["created"],
            record["outcome"],
            str(record["talk_seconds"]),
        )
    assert rows[1]["caller.display_name"] == "'=cmd|' /C calc'!A0"
    assert str(left_out.pk) not in {r["id"] for r in rows}


def test_the_callback_export_defuses_a_visitors_formula(admin_client):
    request = CallbackRequest.objects.create(
        site=Site.objects.get(key="shop"), name="@evil", phone="+4930", note="-1+1",
        context={"page": "=x"},
    )  # fmt: skip
    [row] = export(admin_client, "callbacks_callbackrequest", [request.pk])
    assert (row["id"], row["name"], row["phone"], row["note"], row["status"]) == (
        str(request.pk),
        "'@evil",
        "'+4930",
        "'-1+1",
        "open",
    )
    assert row["context"] == '{"page": "=x"}' and row["claimed_by"] == ""


def test_the_export_costs_the_same_queries_whatever_its_length(admin_client, monkeypatch):
    few = [a_call(1).pk]
    with queries(monkeypatch) as one:
        export(admin_client, "calls_call", few)
    many = few + [a_call(days).pk for days in range(2, 12)]
    with queries(monkeypatch) as eleven:
        assert len(export(admin_client, "calls_call", many)) == 11
    assert len(eleven) == len(one)


def test_a_key_needs_a_name_and_at_least_one_site(admin_client):
    page = admin_client.post(reverse("admin:api_apikey_add"), {"name": "", "sites": []})
    assert page.status_code == 200  # the form again, with its errors
    assert page.content.decode().count("This field is required.") == 2
    assert not ApiKey.objects.exists()


def test_a_keys_page_edits_its_name_and_sites_but_never_shows_or_changes_its_secret(
    admin_client, client, shop_key
):
    key, secret = shop_key
    both = Site.objects.filter(key__in=["shop", "other"])
    page = admin_client.post(
        reverse("admin:api_apikey_change", args=[key.pk]),
        {"name": "Reports", "sites": [s.pk for s in both]},
        follow=True,
    ).content.decode()
    assert secret not in page and "Copy it now" not in page
    key.refresh_from_db()
    assert key.name == "Reports" and key.hash == digest(secret)
    assert set(key.sites.values_list("key", flat=True)) == {"shop", "other"}
    assert Api(client, secret).get("calls")["results"] == []
