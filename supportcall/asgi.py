"""The ASGI application served by daphne: HTTP through Django, WebSockets through Channels."""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportcall.settings")
# Build Django first: the consumers import models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from supportcall.calls import sweeper  # noqa: E402
from supportcall.routing import websocket_urlpatterns  # noqa: E402


class StartSweeper:
    """Starts this process's sweeper on the first request, inside the server's event loop."""

    def __init__(self, app):
        self.app = app
        self.task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        interval = settings.SUPPORTCALL_SWEEP_INTERVAL
        if interval > 0 and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(sweeper.run(interval))
        return await self.app(scope, receive, send)


application = StartSweeper(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": URLRouter(websocket_urlpatterns),
        }
    )
)
