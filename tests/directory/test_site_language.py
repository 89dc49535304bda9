"""A site's default widget language: set in the admin, handed to the widget by the site status."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from supportcall.directory.models import WIDGET_LANGUAGES, Site

pytestmark = pytest.mark.usefixtures("directory")


def test_a_new_site_speaks_english_by_default():
    assert Site.objects.create(key="fresh").default_language == "en"


def test_the_site_admin_offers_every_widget_language_and_the_status_hands_the_choice_on(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    site = Site.objects.get(key="shop")
    page = client.get(reverse("admin:directory_site_change", args=[site.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "default_language" in form.fields
    assert [code for code, _ in form.fields["default_language"].choices] == [
        code for code, _ in WIDGET_LANGUAGES
    ]

    Site.objects.filter(pk=site.pk).update(default_language="ar")
    status = client.get("/api/v1/sites/shop/status").json()
    assert status["default_language"] == "ar"
