"""Counters shared in Redis: each process adds only what it counted since its last push, once."""

from __future__ import annotations

from flash_sale import metrics
from livecommerce.observability.shared_counters import SharedCounters


async def test_deltas_add_up_across_restarts_and_a_stop_flushes(redis_client) -> None:
    first = SharedCounters(redis_client, interval_s=3600)  # pushes only when told (and at stop)
    await first.start()
    assert await first.read() == {}, "what this process counted before start is not added"
    for _ in range(3):
        metrics.count_buy("sold_out")
    metrics.PAID.inc()
    assert await first.push() >= 2
    assert await first.push() == 0, "nothing new: nothing sent"
    metrics.count_buy("sold_out")
    await first.stop()  # the last second's counts are pushed on the way out
    got = await first.read()
    assert got["buy:sold_out"] == 4 and got["closed:paid"] == 1

    second = SharedCounters(redis_client, interval_s=3600)  # a process started after the first
    await second.start()
    metrics.count_buy("reserved")
    metrics.count_buy("made-up-code")  # an unknown outcome is counted as an error, never as a new label
    await second.stop()
    got = await second.read()
    assert got["buy:sold_out"] == 4 and got["buy:reserved"] == 1 and got["buy:error"] == 1
    assert not any("made-up" in k for k in got)
