"""The two HTTP logins of the contract."""

import ipaddress
import os
import subprocess
import sys
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from supportcall.tokens.models import IssuedToken
from tests.support.servers import ROOT, redis_url
from tests.support.ws import PASSWORD, SHOP, addr

pytestmark = pytest.mark.usefixtures("directory")


def post(path, body, origin=None, client=None, **headers):
    client = client or Client()
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return client.post(path, body, content_type="application/json", **headers)


def test_anonymous_login_issues_a_visitor_token_for_the_sites_queues():
    response = post(
        "/api/v1/anonymous-login",
        {"site": "shop", "display_name": "Ada", "context": {"page": "/cart"}},
        origin=SHOP,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["identity"].startswith("anonymous-") and body["identity"].endswith(
        "@" + addr("")[1:]
    )
    assert body["targets"] == [addr("support")]
    assert body["expires_in"] == 60
    assert body["ws_url"] == "/ws/v1/calls"
    assert body["ice_servers"] == []
    assert body["ice_transport_policy"] == "all"
    assert response["Access-Control-Allow-Origin"] == SHOP
    row = IssuedToken.objects.get()
    assert (row.role, row.identity, row.display_name, row.context) == (
        "visitor",
        body["identity"],
        "Ada",
        {"page": "/cart"},
    )
    assert row.consumed is None


def test_each_anonymous_login_is_a_new_identity():
    first = post("/api/v1/anonymous-login", {"site": "shop"}).json()["identity"]
    second = post("/api/v1/anonymous-login", {"site": "shop"}).json()["identity"]
    assert first != second


def test_ice_servers_come_from_settings(settings):
    settings.SUPPORTCALL_ICE_SERVERS = [{"urls": ["stun:127.0.0.1:3478"]}]
    body = post("/api/v1/anonymous-login", {"site": "shop"}).json()
    assert body["ice_servers"] == [{"urls": ["stun:127.0.0.1:3478"]}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not valid JSON"),
        ([1, 2], "JSON object"),
        ({}, "'site'"),
        ({"site": 3}, "'site'"),
        ({"site": "shop", "display_name": 5}, "'display_name'"),
        ({"site": "shop", "display_name": "x" * 101}, "longer than 100"),
        ({"site": "shop", "context": "page"}, "flat object"),
        ({"site": "shop", "context": {"page": {"nested": 1}}}, "flat object"),
        ({"site": "shop", "context": {"k": "v" * 501}}, "longer than 500"),
        ({"site": "shop", "context": {"k" * 65: "v"}}, "longer than 64"),
        ({"site": "shop", "display_name": "Ada\ud800"}, "not valid Unicode"),
        ({"site": "shop", "display_name": "Ada\x00"}, "control characters"),
        ({"site": "shop", "display_name": "Ada\r\nX-Admin: 1"}, "control characters"),
        ({"site": "shop", "context": {"order\udc00": "1"}}, "not valid Unicode"),
        ({"site": "shop", "context": {"order": "1\x07"}}, "control characters"),
        ({"site": "shop", "context": {f"k{i}": "v" for i in range(21)}}, "at most 20"),
    ],
)
def test_anonymous_login_with_a_malformed_body_is_a_bad_request(body, message):
    if isinstance(body, str):
        response = Client().post("/api/v1/anonymous-login", body, content_type="application/json")
    else:
        response = post("/api/v1/anonymous-login", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert message in response.json()["error"]["message"]
    assert not IssuedToken.objects.exists()


def test_anonymous_login_for_an_unknown_site_is_forbidden():
    response = post("/api/v1/anonymous-login", {"site": "nope"}, origin=SHOP)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_login_for_a_disabled_site_is_forbidden():
    from supportcall.directory.models import Site

    Site.objects.filter(key="shop").update(enabled=False)
    response = post("/api/v1/anonymous-login", {"site": "shop"}, origin=SHOP)
    assert response.status_code == 403


def test_anonymous_login_from_an_origin_the_site_does_not_allow_is_forbidden():
    response = post("/api/v1/anonymous-login", {"site": "shop"}, origin="http://evil.test")
    assert response.status_code == 403
    assert "evil.test" in response.json()["error"]["message"]
    # The page may read the refusal (to explain it), never a token.
    assert response["Access-Control-Allow-Origin"] == "http://evil.test"
    assert not IssuedToken.objects.exists()


def test_the_cors_preflight_lets_any_page_read_the_answer_which_alone_decides():
    client = Client()
    for origin in (SHOP, "http://evil.test"):
        preflight = client.options("/api/v1/anonymous-login", HTTP_ORIGIN=origin)
        assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == origin
    refused = post("/api/v1/anonymous-login", {"site": "shop"}, origin="http://evil.test")
    assert refused.status_code == 403 and "token" not in refused.json()


def test_too_many_anonymous_logins_are_rate_limited(settings):
    settings.SUPPORTCALL_LOGIN_RATE = 3
    codes = [post("/api/v1/anonymous-login", {"site": "shop"}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    response = post("/api/v1/anonymous-login", {"site": "shop"})
    assert response.json()["error"]["code"] == "rate_limited"
    assert response["Retry-After"] == "60"


def test_agent_login_with_a_password_issues_an_agent_token():
    response = post("/api/v1/agent-login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["identity"] == addr("alice") and "targets" not in body
    assert IssuedToken.objects.get().role == "agent"


@pytest.mark.parametrize(
    ("username", "password"), [("alice\ud800", "pw"), ("alice", "pw\udfff"), ("al\x00ice", "pw")]
)
def test_agent_login_with_unstorable_text_is_a_bad_request_not_a_server_error(username, password):
    response = post("/api/v1/agent-login", {"username": username, "password": password})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_agent_login_with_a_wrong_password_is_unauthorized():
    response = post("/api/v1/agent-login", {"username": "alice", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_agent_login_of_a_user_who_is_not_an_agent_is_forbidden():
    User.objects.create_user("mallory", password=PASSWORD)
    response = post("/api/v1/agent-login", {"username": "mallory", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_agent_login_without_credentials_or_session_is_unauthorized():
    assert post("/api/v1/agent-login", {}).status_code == 401


def test_agent_login_with_wrongly_typed_credentials_is_a_bad_request():
    assert post("/api/v1/agent-login", {"username": "alice", "password": 1}).status_code == 400


def test_agent_login_by_the_dashboard_session_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="alice"))
    refused = post("/api/v1/agent-login", {}, client=client)
    assert refused.status_code == 403
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = post("/api/v1/agent-login", {}, client=client, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
    assert accepted.json()["identity"] == addr("alice")


def test_health_reports_database_and_channel_layer():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_behind_a_trusted_proxy_each_visitor_has_its_own_login_budget(settings):
    settings.SUPPORTCALL_LOGIN_RATE = 2
    settings.SUPPORTCALL_TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.0/8")]

    def login(forwarded):
        return post(
            "/api/v1/anonymous-login",
            {"site": "shop"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # nginx appends the address it saw; whatever the client wrote stands left of it.
    assert [login("198.51.100.7") for _ in range(3)] == [201, 201, 429]
    assert [login("203.0.113.9") for _ in range(2)] == [201, 201]
    assert login("198.51.100.99, 203.0.113.9") == 429  # a forged hop changes nothing


def test_a_client_that_is_not_a_trusted_proxy_cannot_pick_its_address(settings):
    settings.SUPPORTCALL_LOGIN_RATE = 2
    settings.SUPPORTCALL_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.1/32")]
    codes = [
        post(
            "/api/v1/anonymous-login",
            {"site": "shop"},
            REMOTE_ADDR="192.0.2.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]


COUNT_LOGINS = """
import django, sys
django.setup()
from django.test import RequestFactory
from supportcall.http import HttpError, check_rate
for _ in range(2):
    try:
        check_rate(RequestFactory().post(sys.argv[1], REMOTE_ADDR="192.0.2.1"))
        print("ok")
    except HttpError as e:
        print(e.code)
"""


def test_with_redis_every_process_counts_against_the_same_budget():
    """Two server processes on one Redis: the second sees the first one's logins."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "supportcall.settings",
        "REDIS_URL": redis_url(),
        "SUPPORTCALL_LOGIN_RATE": "3",
    }
    path = f"/rate-test-{uuid.uuid4().hex}"
    runs = [
        subprocess.run(
            [sys.executable, "-c", COUNT_LOGINS, path],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for _ in range(2)
    ]
    assert [run.stdout.split() for run in runs] == [["ok", "ok"], ["ok", "rate_limited"]], [
        run.stderr[-2000:] for run in runs
    ]
