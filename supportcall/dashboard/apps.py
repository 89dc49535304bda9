from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The agents' web dashboard: presence, incoming calls, the call in progress."""

    name = "supportcall.dashboard"
    verbose_name = "Agent dashboard"
