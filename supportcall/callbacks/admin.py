from django.contrib import admin

from supportcall.api import export
from supportcall.api.serializers import CallbackOut

from .models import CallbackRequest


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ["created", "name", "phone", "email", "queue", "status", "claimed_by"]
    list_filter = ["status", "queue", "site"]
    search_fields = ["name", "phone", "email", "note"]
    readonly_fields = ["site", "call", "context", "created", "claimed", "done"]
    date_hierarchy = "created"
    actions = [export.action(CallbackOut, "callback-requests")]
