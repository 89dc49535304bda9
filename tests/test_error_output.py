"""What the server says when something is wrong must not hand out secrets or fall over."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.views.debug import get_default_exception_reporter_filter

from tests.support.ws import SHOP

DEEP = ("[" * 5000 + "]" * 5000).encode()


@pytest.mark.parametrize("path", ["/api/v1/anonymous-login", "/api/v1/callbacks"])
def test_json_nested_thousands_deep_is_a_bad_request_not_a_server_error(directory, path):
    response = Client().post(path, DEEP, content_type="application/json", headers={"origin": SHOP})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "the body nests too deeply"}
    }


def test_a_deep_agent_login_body_is_a_bad_request_too(db):
    response = Client().post("/api/v1/agent-login", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_health_says_what_is_down_without_the_error_text(db, settings):
    # A Redis that refuses connections, with a password in its URL.
    url = "redis://:s3cret-pw@127.0.0.1:1/0"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 1}]},
        }
    }
    response = Client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "channel_layer": "down"}
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content


def test_error_reports_mask_passwords_inside_connection_urls(settings):
    url = "redis://:s3cret-pw@127.0.0.1:6379/0"
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url}]},
        }
    }
    settings.SUPPORTCALL_UPSTREAM = "postgres://app:db-pw@db.internal/app"
    safe = json.dumps(get_default_exception_reporter_filter().get_safe_settings(), default=str)
    assert "s3cret-pw" not in safe and "db-pw" not in safe
    # What is left still says where the server connects.
    assert "redis://:********************@127.0.0.1:6379/0" in safe
