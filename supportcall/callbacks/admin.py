from django.contrib import admin

from .models import CallbackRequest


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ["created", "name", "phone", "email", "queue", "status", "claimed_by"]
    list_filter = ["status", "queue", "site"]
    search_fields = ["name", "phone", "email", "note"]
    readonly_fields = ["site", "call", "context", "created", "claimed", "done"]
    date_hierarchy = "created"
