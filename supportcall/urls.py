from django.contrib import admin
from django.urls import include, path

from supportcall import metrics, views
from supportcall.callbacks import views as callbacks
from supportcall.calls import file_views, supervision
from supportcall.calls import views as calls
from supportcall.tokens import views as tokens

urlpatterns = [
    path("", views.index, name="index"),
    path("api/v1/anonymous-login", tokens.anonymous_login, name="anonymous-login"),
    path("api/v1/agent-login", tokens.agent_login, name="agent-login"),
    path("api/v1/health", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("api/v1/sites/<slug:key>/status", calls.site_status, name="site-status"),
    path("api/v1/callbacks", callbacks.leave_callback, name="callbacks"),
    path("api/v1/calls/<uuid:call_id>/files", file_views.upload, name="chat-files"),
    path("api/v1/files/<str:token>", file_views.download, name="chat-file"),
    path("api/v1/agent/callbacks", callbacks.inbox, name="callback-inbox"),
    path(
        "api/v1/agent/callbacks/<int:pk>/<str:action>",
        callbacks.act,
        name="callback-act",
    ),
    # The read API for call records (supportcall/api/, docs/api.md).
    path("api/v1/", include("supportcall.api.urls")),
    path("api/v1/supervisor", supervision.supervisor, name="supervisor"),
    path("api/v1/supervisor/figures", supervision.team_figures, name="team-figures"),
    path(
        "api/v1/supervisor/figures/<slug:name>.svg",
        supervision.figures_chart,
        name="figures-chart",
    ),
    path("agent/", include("supportcall.dashboard.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The language chooser's form posts here (django.views.i18n.set_language).
    path("i18n/", include("django.conf.urls.i18n")),
]
