"""The webhook admin: an endpoint's secret is shown once, never again; a failed delivery
shows its last error and is sent again by an action; /metrics counts the backlog."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from supportcall.directory.models import Site
from supportcall.webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


@pytest.fixture
def endpoint():
    return Endpoint.objects.create(site=Site.objects.get(key="shop"), url="http://127.0.0.1:9/h")


def act(admin_client, model: str, action: str, pk: int) -> str:
    response = admin_client.post(
        reverse(f"admin:webhooks_{model}_changelist"),
        {"action": action, "_selected_action": [pk]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def failed(endpoint: Endpoint) -> Delivery:
    now = timezone.now()
    event = Event.objects.create(
        site=endpoint.site, type="call.created", body='{"probe": 1}', created=now
    )
    return Delivery.objects.create(
        event=event,
        endpoint=endpoint,
        status=Delivery.Status.FAILED,
        attempts=50,
        next_attempt=now,
        last_error="HTTP 503: 'down for maintenance'",
    )


def test_an_endpoint_gets_no_events_until_its_secret_is_made(endpoint):
    assert endpoint.secret == "" and not endpoint.wants("call.created")


def test_the_secret_is_shown_once_and_the_endpoint_pages_never_show_it(admin_client, endpoint):
    page = act(admin_client, "endpoint", "make_secret", endpoint.pk)
    secret = Endpoint.objects.get().secret
    assert secret.startswith("whsec_") and secret in page
    assert "it is not shown again" in page
    listing = admin_client.get(reverse("admin:webhooks_endpoint_changelist")).content.decode()
    change = admin_client.get(
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    ).content.decode()
    assert secret not in listing and secret not in change
    again = act(admin_client, "endpoint", "make_secret", endpoint.pk)
    assert Endpoint.objects.get().secret not in (secret, "") and secret not in again


def test_a_failed_delivery_shows_its_last_error_and_is_sent_again_by_the_action(
    admin_client, endpoint
):
    delivery = failed(endpoint)
    listing = admin_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert "down for maintenance" in listing
    change = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert "down for maintenance" in change.content.decode()
    assert '{"probe": 1}' in change.content.decode().replace("&quot;", '"')  # the body sent
    page = act(admin_client, "delivery", "resend", delivery.pk)
    assert "Deliveries due again: 1." in page
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_metrics_count_the_backlog_and_the_failed_deliveries(client, endpoint):
    failed(endpoint)
    event = Event.objects.create(
        site=endpoint.site, type="call.ended", body="{}", created=timezone.now()
    )
    Delivery.objects.create(event=event, endpoint=endpoint, next_attempt=timezone.now())
    text = client.get("/metrics").content.decode()
    figures = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert figures["supportcall_webhook_backlog"] == 1
    assert figures["supportcall_webhook_failed"] == 1
    assert figures["supportcall_webhook_oldest_pending_seconds"] >= 0


def test_an_endpoint_with_an_unknown_event_type_is_refused_naming_the_known_ones(
    admin_client,
):
    response = admin_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "site": Site.objects.get(key="shop").pk,
            "url": "https://crm.example.com/hook",
            "events": '["call.ended", "call.exploded"]',
            "active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "A list of event types, among: call.created," in response.content.decode()
    assert not Endpoint.objects.exists()
