from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """Who can be called: sites, queues and agents."""

    name = "supportcall.directory"
    verbose_name = "Sites, queues and agents"
