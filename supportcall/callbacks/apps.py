from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    """Missed calls: visitors leave a callback request; agents claim it and mark it done."""

    name = "supportcall.callbacks"
    verbose_name = "Callback requests"
