"""The API answers as its OpenAPI description (GET /api/v1/schema) says: schemathesis
generates requests from the description, sends them to the Django app in this process
(WSGI, no network) with a valid key, and checks each answer's status, type and shape.

Bounded and repeatable: a few dozen examples per operation, derandomized."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supportcall.callbacks.models import CallbackRequest
from supportcall.directory.models import Agent, Queue, Site
from tests.api.conftest import make_key
from tests.privacy.records import a_call

EXAMPLES = 30
# What the description says of every answer. Not "positive data acceptance": the API also
# refuses, with a documented 400, what a schema cannot forbid (`until` before `since`, a
# cursor it never gave), which that check takes for a schema-valid request refused.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def records(directory):
    """Calls and callback requests of both sites, so the lists have something to show."""
    for days in (None, 1, 2, 5):
        a_call(days)
    a_call(1, site="other")
    shop = Site.objects.get(key="shop")
    CallbackRequest.objects.create(site=shop, queue=Queue.objects.get(name="support"), name="A")
    CallbackRequest.objects.create(
        site=shop,
        name="B",
        status="claimed",
        claimed_by=Agent.objects.get(user__username="alice"),
        claimed=timezone.now(),
    )


# Loaded when the tests are collected: the description needs no database. (Not through
# schemathesis.pytest.from_fixture: its lazy loader does not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())


@pytest.fixture
def bearer(records) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('shop')[1]}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_described(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_the_schema_is_openapi_3_and_describes_every_operation(client):
    response = client.get("/api/v1/schema", headers={"accept": "application/json"})
    assert response.status_code == 200
    described = response.json()
    assert described["openapi"].startswith("3.")
    assert set(described["paths"]) == {
        "/api/v1/calls",
        "/api/v1/calls/{id}",
        "/api/v1/callback-requests",
        "/api/v1/callback-requests/{id}",
    }
    calls = described["paths"]["/api/v1/calls"]["get"]
    assert {p["name"] for p in calls["parameters"]} == {
        "since", "until", "site", "queue", "agent", "status", "outcome", "disposition",
        "cursor", "page_size",
    }  # fmt: skip
    assert set(calls["responses"]) == {"200", "400", "401", "429"}
    assert described["components"]["securitySchemes"] == {
        "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, sc_…"}
    }
    yaml = client.get("/api/v1/schema")
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi")


def test_real_records_answer_as_described_too(bearer):
    """Generated ids are mostly unknown (404): each operation once more with a record that
    has everything (agent, chat, quality, legs, a claimed callback)."""
    call = a_call(1)
    call.legs.create(agent=call.agent, status="answered")
    callback = CallbackRequest.objects.get(name="B")
    for path, parameters in [
        ("/api/v1/calls", {}),
        ("/api/v1/calls/{id}", {"id": str(call.pk)}),
        ("/api/v1/callback-requests", {}),
        ("/api/v1/callback-requests/{id}", {"id": callback.pk}),
    ]:
        case = schema[path]["GET"].Case(path_parameters=parameters)
        response = case.call_and_validate(headers=bearer, checks=CHECKS)
        assert response.status_code == 200, path


def test_the_description_generates_without_a_warning():
    """drf-spectacular says what it could not describe; nothing may be left out."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
