"""``check --deploy`` speaks up about keys that let anyone forge a token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .keys import is_development_key


@register(Tags.security, deploy=True)
def check_signing_keys(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if any(is_development_key(key) for key in keys):
        problems.append(
            Error(
                "SECRET_KEY or SECRET_KEY_FALLBACKS is a published development key: "
                "anyone can sign a token as any agent.",
                hint="Set SECRET_KEY to a random value and unset SUPPORTCALL_DEV.",
                id="supportcall.E001",
            )
        )
    if settings.SUPPORTCALL_DEV:
        problems.append(
            Warning(
                "SUPPORTCALL_DEV is on: the server accepts the development SECRET_KEY.",
                hint="Unset SUPPORTCALL_DEV in production.",
                id="supportcall.W001",
            )
        )
    return problems
