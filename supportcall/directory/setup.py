"""Creating sites, queues and agents: shared by the management commands and the demo."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from .models import Agent, Queue, Site, slug_name


def ensure_queue(name: str, display_name: str = "") -> Queue:
    slug_name(name)
    queue, _ = Queue.objects.get_or_create(name=name, defaults={"display_name": display_name})
    return queue


@transaction.atomic
def ensure_site(key: str, origins: Iterable[str], queues: Iterable[str] = ()) -> Site:
    """Create or update a site; its origins and queues are set to exactly these."""
    slug_name(key)
    site, _ = Site.objects.get_or_create(key=key)
    site.allowed_origins = list(origins)
    site.full_clean()
    site.save()
    site.queues.set([ensure_queue(q) for q in queues])
    return site


@transaction.atomic
def ensure_agent(
    username: str, password: str, queues: Iterable[str] = (), display_name: str = ""
) -> Agent:
    """Create or update an agent (and its Django user); its queues are set to exactly these."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    agent, _ = Agent.objects.get_or_create(user=user)
    if display_name:
        agent.display_name = display_name
        agent.save()
    agent.queues.set([ensure_queue(q) for q in queues])
    return agent
