from django.apps import AppConfig


class TokensConfig(AppConfig):
    """Logins: anonymous visitors and agents get short-lived, single-use tokens."""

    name = "supportcall.tokens"
    verbose_name = "Login tokens"
