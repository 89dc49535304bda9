"""An admin makes and rotates a site's identity secret; it is shown once, never again."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from supportcall.directory.models import Site

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def make_secret(admin_client):
    site = Site.objects.get(key="shop")
    response = admin_client.post(
        reverse("admin:directory_site_changelist"),
        {"action": "make_identity_secret", "_selected_action": [site.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_action_shows_the_new_secret_once_and_the_site_page_never_shows_it(admin_client):
    page = make_secret(admin_client)
    secret = Site.objects.get(key="shop").identity_secret
    assert secret and secret in page
    assert "it is not shown again" in page
    again = admin_client.get(reverse("admin:directory_site_changelist")).content.decode()
    change = admin_client.get(
        reverse("admin:directory_site_change", args=[Site.objects.get(key="shop").pk])
    ).content.decode()
    assert secret not in again and secret not in change
    assert "shown only then" in change


def test_rotating_in_the_admin_keeps_the_previous_secret_for_the_overlap(admin_client):
    make_secret(admin_client)
    first = Site.objects.get(key="shop").identity_secret
    page = make_secret(admin_client)
    site = Site.objects.get(key="shop")
    assert site.identity_secret != first and site.identity_previous_secret == first
    assert site.identity_secret in page and first not in page
    assert re.search(r"The previous secret is accepted until", page)
    assert site.identity_secrets() == [site.identity_secret, first]


def test_the_site_form_sets_require_verification_only_once_there_is_a_secret(admin_client):
    site = Site.objects.get(key="shop")
    url = reverse("admin:directory_site_change", args=[site.pk])
    form = {
        "key": "shop",
        "name": "",
        "allowed_origins": "http://shop.test",
        "queues": [q.pk for q in site.queues.all()],
        "default_language": "en",
        "enabled": "on",
        "require_verified_identity": "on",
    }
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and "identity secret first" in refused.content.decode()
    assert not Site.objects.get(key="shop").require_verified_identity
    make_secret(admin_client)
    assert admin_client.post(url, form).status_code == 302
    assert Site.objects.get(key="shop").require_verified_identity
