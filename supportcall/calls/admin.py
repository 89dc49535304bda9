from django.contrib import admin

from .models import Call, CallEvent, Connection, Leg


class LegInline(admin.TabularInline):
    model = Leg
    extra = 0
    can_delete = False
    readonly_fields = ["agent", "status", "reason", "started", "ended"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CallEventInline(admin.TabularInline):
    """The call's timeline: append-only, so read-only here."""

    model = CallEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "name", "phase_before", "phase_after", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "caller_identity",
        "caller_display_name",
        "target",
        "media",
        "agent",
        "phase",
        "end_reason",
        "duration",
    ]
    list_filter = ["phase", "media", "end_reason", "site", "queue"]
    search_fields = ["caller_identity", "caller_display_name", "target", "id"]
    date_hierarchy = "created"
    inlines = [LegInline, CallEventInline]

    def get_readonly_fields(self, request, obj=None):
        # The record is the server's; editing it by hand would lie about what happened.
        return [f.name for f in Call._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="duration")
    def duration(self, call: Call) -> str:
        if call.answered and call.ended:
            seconds = int((call.ended - call.answered).total_seconds())
            return f"{seconds // 60}:{seconds % 60:02d}"
        return "—"


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["identity", "role", "channel_name", "opened", "process", "grace_until"]
    list_filter = ["role"]
