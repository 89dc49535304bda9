from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    """Missed calls: visitors leave a callback request; agents claim it and mark it done."""

    name = "supportcall.callbacks"
    verbose_name = _("Callback requests")
