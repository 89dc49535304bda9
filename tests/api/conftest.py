"""An API key of site 'shop' and a client that sends it; records made straight in the
database (tests/privacy/records.py) unless a test makes a call through the sockets."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from supportcall.api.models import ApiKey
from supportcall.directory.models import Site


def make_key(*sites: str, name: str = "helpdesk") -> tuple[ApiKey, str]:
    key = ApiKey(name=name)
    secret = key.make_secret()
    key.save()
    key.sites.set(Site.objects.filter(key__in=sites))
    return key, secret


class Api:
    """GETs with ``Authorization: Bearer <key>``; each answer's JSON."""

    def __init__(self, client: Client, secret: str):
        self.client, self.secret = client, secret

    def get(self, path: str, status: int = 200, /, **params: Any) -> Any:
        response = self.client.get(
            f"/api/v1/{path}", params, headers={"authorization": f"Bearer {self.secret}"}
        )
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json"
        return response.json()


@pytest.fixture
def shop_key(directory) -> tuple[ApiKey, str]:
    return make_key("shop")


@pytest.fixture
def api(client, shop_key) -> Api:
    return Api(client, shop_key[1])
