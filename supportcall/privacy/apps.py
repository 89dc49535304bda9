from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Retention of call data per site, and erasure of one visitor's data (docs/privacy.md)."""

    name = "supportcall.privacy"
    verbose_name = _("Privacy")
