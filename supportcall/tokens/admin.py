from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import IssuedToken


@admin.register(IssuedToken)
class IssuedTokenAdmin(admin.ModelAdmin):
    list_display = ["id", "role", "identity", "site", "issued", "expires", "consumed", "revoked"]
    list_filter = ["role", "revoked", "site"]
    search_fields = ["identity", "id"]
    readonly_fields = [
        "id",
        "role",
        "identity",
        "site",
        "user",
        "targets",
        "origin",
        "display_name",
        "context",
        "verified",
        "issued",
        "expires",
        "consumed",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        queryset.update(revoked=True)
