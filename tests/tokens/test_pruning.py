"""Every hello issues a token: the rows of expired ones are deleted after a retention."""

import asyncio
import contextlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from supportcall.calls import sweeper
from supportcall.tokens.issuing import issue
from supportcall.tokens.models import IssuedToken, Role
from tests.support.ws import addr, sync

pytestmark = pytest.mark.usefixtures("directory")


def tokens(*ttls: float) -> list[str]:
    return [
        issue(Role.VISITOR, addr(f"anonymous-{i}"), ttl=ttl)[1].identity
        for i, ttl in enumerate(ttls)
    ]


def left() -> set[str]:
    return set(IssuedToken.objects.values_list("identity", flat=True))


def test_tokens_expired_longer_than_the_retention_are_deleted_and_no_others(settings):
    settings.SUPPORTCALL_TOKEN_RETENTION = 3600
    _expired_long_ago, expired_lately, live = tokens(60, 2 * 3600, 7 * 24 * 3600)
    now = timezone.now() + timedelta(hours=2)
    assert sweeper.prune(now) == 1
    assert left() == {expired_lately, live}
    assert sweeper.prune(now) == 0


def test_a_token_used_up_longer_than_the_retention_ago_is_deleted_and_no_other(settings):
    settings.SUPPORTCALL_TOKEN_RETENTION = 3600
    used_long_ago, used_lately, unused = tokens(7 * 24 * 3600, 7 * 24 * 3600, 7 * 24 * 3600)
    now = timezone.now()
    IssuedToken.objects.filter(identity=used_long_ago).update(consumed=now - timedelta(hours=2))
    IssuedToken.objects.filter(identity=used_lately).update(consumed=now - timedelta(minutes=5))
    assert sweeper.prune(now) == 1
    assert left() == {used_lately, unused}


def test_one_prune_deletes_batch_after_batch_until_none_is_left(settings, monkeypatch):
    settings.SUPPORTCALL_TOKEN_RETENTION = 3600
    expired = tokens(*[60] * 25)
    now = timezone.now() + timedelta(hours=2)
    assert sweeper.prune(now, batch=4) == 25
    assert left().isdisjoint(expired)
    monkeypatch.setattr(sweeper, "PRUNE_BATCHES", 2)  # and no more than its bound
    tokens(*[60] * 25)
    assert sweeper.prune(now, batch=4) == 8


async def test_a_resume_token_is_deleted_a_retention_after_its_connection_is_lost(
    parties, settings
):
    from supportcall.calls.models import Connection
    from tests.support.calls import sweep

    settings.SUPPORTCALL_TOKEN_RETENTION = 3600
    visitor = await parties("visitor")
    channel = await sync(lambda: Connection.objects.get(identity=visitor.identity).pk)()
    resume = sync(lambda: IssuedToken.objects.filter(replaces=channel).count())
    assert await resume() == 1
    await visitor.close()
    await sweep(in_seconds=30)  # the grace ran out: the resume token is revoked
    assert await sync(sweeper.prune)(timezone.now() + timedelta(minutes=30)) == 0
    assert await resume() == 1
    await sync(sweeper.prune)(timezone.now() + timedelta(hours=2))
    assert await resume() == 0


def test_pruning_goes_in_batches_through_the_index_on_expires(settings):
    from supportcall.tokens import issuing

    settings.SUPPORTCALL_TOKEN_RETENTION = 1
    tokens(*[1] * 5)
    later = timezone.now() + timedelta(minutes=1)
    assert issuing.prune(later, batch=2) == 2
    assert IssuedToken.objects.count() == 3
    plan = IssuedToken.objects.filter(expires__lt=later).order_by("expires").explain()
    assert "INDEX" in plan.upper(), plan


def test_the_sweep_command_prunes(settings, capsys):
    settings.SUPPORTCALL_TOKEN_RETENTION = 1
    tokens(-10)
    call_command("sweep", "--once")
    assert "1 old tokens deleted" in capsys.readouterr().out
    assert not IssuedToken.objects.exists()


async def test_the_running_sweeper_prunes_now_and_then(settings, monkeypatch):
    settings.SUPPORTCALL_TOKEN_RETENTION = 1
    monkeypatch.setattr(sweeper, "PRUNE_INTERVAL", 0.05)
    await sync(tokens)(-10, 3600)
    task = asyncio.create_task(sweeper.run(0.02, serving=False))
    try:
        for _ in range(500):  # up to 10 s on a busy machine; it takes about 0.1 s
            if await sync(IssuedToken.objects.count)() == 1:
                break
            await asyncio.sleep(0.02)
        assert await sync(IssuedToken.objects.count)() == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
