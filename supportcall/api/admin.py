"""API keys in the admin: a new key is shown once, on the page after it is saved; only its
prefix and hash are kept. Revoking is an action (and stops the key at once)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "shown_prefix", "site_list", "created", "last_used_at", "revoked_at"]
    list_filter = ["sites"]
    search_fields = ["name", "prefix"]
    filter_horizontal = ["sites"]
    readonly_fields = ["shown_prefix", "created", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("key begins"))
    def shown_prefix(self, key: ApiKey) -> str:
        return f"sc_{key.prefix}_…" if key.prefix else "—"

    @admin.display(description=_("sites"))
    def site_list(self, key: ApiKey) -> str:
        return ", ".join(site.key for site in key.sites.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sites")

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        secret = None if change else obj.make_secret()
        super().save_model(request, obj, form, change)
        if secret is not None:
            message = gettext("API key %(name)s: %(key)s. Copy it now: it is not shown again.") % {
                "name": obj.name,
                "key": secret,
            }
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Revoke (the keys stop working at once)"))
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, gettext("Keys revoked: %(count)d.") % {"count": count})
