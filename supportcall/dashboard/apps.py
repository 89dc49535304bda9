from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The agents' web dashboard: presence, incoming calls, the call in progress."""

    name = "supportcall.dashboard"
    verbose_name = _("Agent dashboard")
