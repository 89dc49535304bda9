from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    """Logins: anonymous visitors and agents get short-lived, single-use tokens."""

    name = "supportcall.tokens"
    verbose_name = _("Login tokens")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
