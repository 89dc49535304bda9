"""Endpoints (their secret made by an action and shown once) and deliveries (the last
error of each, and re-sending the failed ones)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import worker
from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "site", "active", "has_secret", "created"]
    list_filter = ["site", "active"]
    actions = ["make_secret"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a URL typed without one: https, not http
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("secret"), boolean=True)
    def has_secret(self, endpoint: Endpoint) -> bool:
        return bool(endpoint.secret)

    @admin.action(description=_("Make a new signing secret (the old one stops at once)"))
    def make_secret(self, request, queryset) -> None:
        """Each endpoint's new secret is shown here once, and never again."""
        for endpoint in queryset:
            secret = endpoint.rotate_secret()
            message = gettext(
                "Signing secret of %(url)s: %(secret)s. Copy it to the receiver now: "
                "it is not shown again."
            ) % {"url": endpoint.url, "secret": secret}
            self.message_user(request, message, messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "endpoint", "status", "attempts", "next_attempt", "last_error"]
    list_filter = ["status", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "call_id",
        "status",
        "attempts",
        "next_attempt",
        "leased_until",
        "first_attempt",
        "delivered",
        "last_error",
        "body",
    ]
    actions = ["resend"]

    @admin.display(description=_("body"))
    def body(self, delivery: Delivery) -> str:
        return delivery.event.body

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def resend(self, request, queryset) -> None:
        count = worker.resend(list(queryset.values_list("id", flat=True)))
        self.message_user(request, gettext("Deliveries due again: %(count)d.") % {"count": count})
