"""The client's listeners and streams (supportcall/client/events.py): pure, no server."""

from __future__ import annotations

import asyncio
import gc

from supportcall.client.events import Emitter, Stream


async def test_listeners_are_called_in_order_and_one_that_raises_does_not_stop_the_rest(caplog):
    emitter, seen = Emitter(), []

    @emitter.on("thing")
    def broken(value):
        raise RuntimeError("boom")

    emitter.on("thing", seen.append)

    emitter._emit("thing", 1)

    assert seen == [1]
    assert "'thing' listener" in caplog.text and "boom" in caplog.text


async def test_a_coroutine_listener_runs_as_its_own_task_and_close_cancels_it():
    emitter, started, finished = Emitter(), asyncio.Event(), []

    @emitter.on("thing")
    async def slow(value):
        started.set()
        await asyncio.sleep(10)
        finished.append(value)

    emitter._emit("thing", 1)
    await asyncio.wait_for(started.wait(), 1)
    await emitter._stop_listener_tasks()

    assert finished == [] and not emitter._listener_tasks


async def test_a_removed_listener_is_not_called():
    emitter, seen = Emitter(), []
    emitter.on("thing", seen.append)
    emitter.remove_listener("thing", seen.append)

    emitter._emit("thing", 1)

    assert seen == []


async def test_a_subscription_sees_what_comes_after_it_until_the_stream_closes():
    stream: Stream[int] = Stream()
    stream.put(1)
    subscription = stream.subscribe()
    stream.put(2)
    stream.put(3)
    stream.close()

    assert [item async for item in subscription] == [2, 3]
    assert [item async for item in stream.subscribe()] == []  # closed: nothing more


async def test_an_abandoned_subscription_is_dropped_with_its_queue():
    stream: Stream[int] = Stream()
    subscription = stream.subscribe()
    stream.put(1)
    async for _ in subscription:
        break
    assert len(stream._subscriptions) == 1
    del subscription
    gc.collect()

    stream.put(2)

    assert len(stream._subscriptions) == 0
