from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Webhooks: call and callback events posted, signed, to each site's endpoints."""

    name = "supportcall.webhooks"
    verbose_name = _("Webhooks")
