"""Signing keys anyone can read. Django-free: the settings module imports it.

With one of these, anyone can sign a token as any agent, so the settings
refuse them unless SUPPORTCALL_DEV says this is a laptop on purpose, and
``check --deploy`` reports them (Django's own check misses this one: it is
long and lacks the "django-insecure-" prefix).
"""

DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me-in-production-0123456789"


def is_development_key(key: str) -> bool:
    return key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure-")
