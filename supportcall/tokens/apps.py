from django.apps import AppConfig


class TokensConfig(AppConfig):
    """Logins: anonymous visitors and agents get short-lived, single-use tokens."""

    name = "supportcall.tokens"
    verbose_name = "Login tokens"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
