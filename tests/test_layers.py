"""The embedded channel layer sweeps expired messages once a second, not at every message."""

from __future__ import annotations

from supportcall import layers
from supportcall.layers import SweptInMemoryChannelLayer


async def test_the_expiry_sweep_runs_at_most_once_a_second_and_still_drops_what_expired(
    monkeypatch,
):
    clock = [1000.0]
    layer = SweptInMemoryChannelLayer(expiry=60)
    layer.clock = lambda: clock[0]
    sweeps = []
    real = layers.InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        layers.InMemoryChannelLayer,
        "_clean_expired",
        lambda self: (sweeps.append(clock[0]), real(self)),
    )
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "a"})
    await layer.send(channel, {"type": "b"})
    assert (await layer.receive(channel))["type"] == "a"
    clock[0] += 0.5
    await layer.send(channel, {"type": "c"})
    assert sweeps == [1000.0]  # one sweep for four messages within the second

    # A message past its expiry is dropped by the next sweep, a second on.
    queue = layer.channels[channel]
    queue._queue[0] = (0.0, queue._queue[0][1])  # "b" expired long ago
    clock[0] += 0.6
    assert (await layer.receive(channel))["type"] == "c"
    assert sweeps == [1000.0, 1001.1]
