"""The operator's management commands and the demo data."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from supportcall.directory.models import Agent, Queue, Site

pytestmark = pytest.mark.django_db


def test_create_site_with_origins_and_queues():
    call_command(
        "create_site", "shop", "--origin", "https://Shop.example.com/", "--queue", "support"
    )
    site = Site.objects.get(key="shop")
    assert site.allowed_origins == ["https://shop.example.com"]
    assert [q.name for q in site.queues.all()] == ["support"]
    assert site.enabled


def test_create_site_again_updates_it():
    call_command("create_site", "shop", "--origin", "https://a.example.com", "--queue", "one")
    call_command("create_site", "shop", "--origin", "https://b.example.com", "--queue", "two")
    site = Site.objects.get()
    assert site.allowed_origins == ["https://b.example.com"]
    assert [q.name for q in site.queues.all()] == ["two"]


@pytest.mark.parametrize("origin", ["shop.example.com", "https://shop.example.com/page", "ftp://x"])
def test_create_site_with_a_bad_origin_fails_and_creates_nothing(origin):
    with pytest.raises(CommandError, match="origin"):
        call_command("create_site", "shop", "--origin", origin)
    assert not Site.objects.exists()


def test_create_site_with_a_bad_key_fails():
    with pytest.raises(CommandError):
        call_command("create_site", "Bad Key!", "--origin", "https://x.example.com")


def test_create_queue_is_harmless_twice():
    call_command("create_queue", "billing")
    call_command("create_queue", "billing")
    assert Queue.objects.filter(name="billing").count() == 1


def test_create_queue_with_a_bad_name_fails():
    with pytest.raises(CommandError):
        call_command("create_queue", "no spaces")


def test_create_agent_makes_a_user_who_can_log_in_and_sets_its_queues():
    call_command(
        "create_agent", "carol", "--password", "pw", "--queue", "billing", "--queue", "vip"
    )
    agent = Agent.objects.get(user__username="carol")
    assert agent.user.check_password("pw")
    assert sorted(q.name for q in agent.queues.all()) == ["billing", "vip"]
    call_command("create_agent", "carol", "--password", "new", "--queue", "billing")
    agent.refresh_from_db()
    assert agent.user.check_password("new") and agent.queues.count() == 1


def test_create_agent_needs_a_password():
    with pytest.raises(CommandError):
        call_command("create_agent", "carol")


def test_demo_data_is_harmless_to_run_twice(capsys):
    call_command("demo_data")
    call_command("demo_data")
    site = Site.objects.get(key="demo")
    assert site.allowed_origins == ["http://127.0.0.1:8000", "http://localhost:8000"]
    assert sorted(a.user.username for a in Agent.objects.all()) == ["alice", "bob", "sam"]
    assert all(a.queues.get().name == "support" for a in Agent.objects.all())
    assert User.objects.get(username="admin").is_superuser
    # sam supervises: an agent and staff, so the dashboard shows the team view.
    assert [u.username for u in User.objects.filter(is_staff=True, agent__isnull=False)] == ["sam"]
    assert "demo-password" in capsys.readouterr().out
