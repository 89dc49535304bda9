from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Call quality: the parties' reports of their media, the MOS estimate, the warnings."""

    name = "supportcall.quality"
    verbose_name = _("Call quality")
