from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    """Calls: the state machine, signaling over Channels, records and their event log."""

    name = "supportcall.calls"
    verbose_name = _("Calls")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
