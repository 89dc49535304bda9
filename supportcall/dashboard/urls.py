from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls.json", views.calls, name="calls"),
    path("targets.json", views.targets, name="targets"),
    # The dashboard's words in the agent's language, as a same-origin script (the CSP
    # allows no inline code): supportcall/locale/*/LC_MESSAGES/djangojs.mo.
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["supportcall.dashboard"]),
        name="jsi18n",
    ),
]
