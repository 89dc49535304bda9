from django.apps import AppConfig


class CallsConfig(AppConfig):
    """Calls: the state machine, signaling over Channels, records and their event log."""

    name = "supportcall.calls"
    verbose_name = "Calls"
