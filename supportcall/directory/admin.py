from typing import Any

from django import forms
from django.contrib import admin, messages
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportcall.calls import availability
from supportcall.privacy import admin as privacy_admin
from supportcall.privacy import retention

from .models import Agent, AwayReason, ClosedDay, OpeningHours, Queue, Site


class OriginsField(forms.Field):
    """Allowed origins typed one per line; stored as the JSON list the model keeps."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(value)
        return super().prepare_value(value)

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class SiteForm(forms.ModelForm):
    allowed_origins = OriginsField(
        required=False,
        help_text=_(
            "One origin per line, like https://shop.example.com (no path). Only pages "
            "from these origins may call."
        ),
    )

    class Meta:
        model = Site
        fields = [
            "key",
            "name",
            "allowed_origins",
            "queues",
            "default_language",
            "enabled",
            "require_verified_identity",
            *(f"keep_{kind}_days" for kind in retention.KINDS),
        ]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    form = SiteForm
    list_display = ["key", "name", "enabled", "origins", "verification", "created"]
    list_filter = ["enabled", "require_verified_identity"]
    search_fields = ["key", "name"]
    filter_horizontal = ["queues"]
    readonly_fields = ["identity_secret_status", "retention_preview"]
    fieldsets = [
        (None, {"fields": [f for f in SiteForm.Meta.fields if not f.startswith("keep_")]}),
        (None, {"fields": ["identity_secret_status"]}),
        (
            _("Retention"),
            {
                "fields": [*(f"keep_{kind}_days" for kind in retention.KINDS), "retention_preview"],
                "description": _(
                    "Days an ended call's data is kept, per kind; empty keeps it for good. "
                    "Calls in progress are never touched."
                ),
            },
        ),
    ]
    actions = ["make_identity_secret"]

    def get_urls(self):
        erase = self.admin_site.admin_view(
            lambda request, pk: privacy_admin.erase_view(self, request, pk)
        )
        return [path("<int:pk>/erase/", erase, name="directory_site_erase"), *super().get_urls()]

    @admin.display(description=_("retention removes now"))
    def retention_preview(self, site: Site) -> str:
        return privacy_admin.retention_preview(site) if site.pk else ""

    @admin.display(description=_("allowed origins"))
    def origins(self, site: Site) -> str:
        return ", ".join(site.allowed_origins)

    @admin.display(description=_("verified visitors"))
    def verification(self, site: Site) -> str:
        if site.require_verified_identity:
            return gettext("Required")
        return gettext("Accepted") if site.identity_secret else gettext("No secret")

    @admin.display(description=_("identity secret"))
    def identity_secret_status(self, site: Site) -> str:
        """Whether there is one and since when; never the secret itself."""
        if not site.identity_secret or site.identity_secret_made is None:
            return gettext(
                "None: make one with the action 'Make a new identity secret' in the list of sites."
            )
        status = gettext("Made %(when)s; shown only then.") % {
            "when": formats.date_format(site.identity_secret_made, "DATETIME_FORMAT")
        }
        until = site.identity_previous_until
        if site.identity_previous_secret and until is not None and until > timezone.now():
            status += " " + gettext("The previous secret is accepted until %(until)s.") % {
                "until": formats.date_format(until, "DATETIME_FORMAT")
            }
        return status

    @admin.action(description=_("Make a new identity secret (the old one stays valid a while)"))
    def make_identity_secret(self, request, queryset) -> None:
        """Each site's new secret is shown here once, and never again."""
        for site in queryset:
            had_one = bool(site.identity_secret)
            secret = site.rotate_identity_secret()
            message = gettext(
                "Identity secret of site %(site)s: %(secret)s. Copy it to the site's backend "
                "now: it is not shown again."
            ) % {"site": site.key, "secret": secret}
            if had_one and site.identity_previous_until is not None:
                message += " " + gettext("The previous secret is accepted until %(until)s.") % {
                    "until": formats.date_format(site.identity_previous_until, "DATETIME_FORMAT")
                }
            self.message_user(request, message, messages.WARNING)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "display_name",
        "strategy",
        "ring_timeout",
        "max_wait",
        "wrap_up_seconds",
        "timezone",
        "open_now",
    ]
    list_filter = ["strategy"]
    search_fields = ["name", "display_name"]
    inlines = [OpeningHoursInline, ClosedDayInline]
    fieldsets = [
        (None, {"fields": ["name", "display_name"]}),
        (
            _("Routing"),
            {
                "fields": [
                    "strategy",
                    "ring_timeout",
                    "max_wait",
                    "wait_when_empty",
                    "transfer_fallback",
                ]
            },
        ),
        (
            _("After-call work"),
            {
                "fields": ["wrap_up_seconds"],
                "description": _("The outcomes agents pick are the dispositions (Calls)."),
            },
        ),
        (
            _("Figures"),
            {
                "fields": ["service_level_seconds", "short_abandon_seconds"],
                "description": _("How the team's figures count this queue's calls."),
            },
        ),
        (
            _("Opening hours"),
            {
                "fields": ["timezone"],
                "description": _("No weekly hours below means always open (closed days aside)."),
            },
        ),
    ]

    @admin.display(boolean=True, description=_("open now"))
    def open_now(self, queue: Queue) -> bool:
        return queue.schedule().is_open(timezone.now())


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "presence", "now", "max_calls", "queue_names"]
    list_filter = ["presence", "queues"]
    search_fields = ["user__username", "display_name"]
    filter_horizontal = ["queues"]
    readonly_fields = ["idle_since", "missed_in_row", "away_reason", "away_since"]

    def get_queryset(self, request):
        return availability.with_presence(super().get_queryset(request))

    @admin.display(description=_("presence now"))
    def now(self, agent: Agent) -> str:
        return availability.presence(agent)

    @admin.display(description=_("queues"))
    def queue_names(self, agent: Agent) -> str:
        return ", ".join(q.name for q in agent.queues.all())


@admin.register(AwayReason)
class AwayReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
