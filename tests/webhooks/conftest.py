"""A real receiver with an endpoint of site 'shop', and the delivery worker running in the
test's event loop, with retries a few milliseconds apart."""

from __future__ import annotations

import asyncio

import pytest

from supportcall.directory.models import Site
from supportcall.webhooks import worker
from supportcall.webhooks.models import Endpoint
from tests.support.receiver import Receiver


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.SUPPORTCALL_WEBHOOK_RETRY = 0.05
    settings.SUPPORTCALL_WEBHOOK_RETRY_MAX = 0.2
    settings.SUPPORTCALL_WEBHOOK_TIMEOUT = 5.0


def endpoint_for(receiver: Receiver, site: str = "shop", events: list[str] | None = None):
    endpoint = Endpoint.objects.create(
        site=Site.objects.get(key=site), url=receiver.url, events=events or []
    )
    receiver.secret = endpoint.rotate_secret()
    return endpoint


@pytest.fixture
def receiver(directory):
    receiver = Receiver().start()
    endpoint_for(receiver)
    yield receiver
    receiver.stop()


@pytest.fixture
async def posting():
    """The worker, as every server process runs it."""
    task = asyncio.create_task(worker.run(0.02))
    yield task
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
