from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """Who can be called: sites, queues and agents."""

    name = "supportcall.directory"
    verbose_name = _("Sites, queues and agents")
