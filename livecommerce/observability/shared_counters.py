"""Platform-wide counters for the dashboard: each process adds its deltas to one Redis hash.

Prometheus counters are per process, and with several serving processes (``--workers``, more
machines) the dashboard's poll reaches one of them at a time. So every process pushes what its
buy-outcome, closed-order and buy-latency counters gained since the last push (one pipelined
HINCRBY batch a second, nothing when idle), and the overview reads the sums. ``stop()`` pushes
the last deltas, so a clean shutdown loses nothing.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from flash_sale.metrics import BUY_ATTEMPTS, ORDERS_CLOSED
from flash_sale.tasks import cancel_and_wait
from livecommerce.observability.http_metrics import BUY_ROUTE, LATENCY
from livecommerce.observability.quantiles import histogram_buckets

__all__ = ["SharedCounters", "COUNTERS_KEY", "local_counters"]

log = logging.getLogger(__name__)

COUNTERS_KEY = "lc:ops:counters"


def _one_label(counter: object) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in counter.collect():  # type: ignore[attr-defined]
        for s in family.samples:
            if s.name.endswith("_total"):
                out[next(iter(s.labels.values()))] = s.value
    return out


def local_counters() -> dict[str, int]:
    """This process' cumulative figures, as hash fields: ``buy:<outcome>``, ``closed:<how>``,
    ``buylat:<le>`` (cumulative bucket counts of the buy route's latency)."""
    fields = {f"buy:{k}": int(v) for k, v in _one_label(BUY_ATTEMPTS).items()}
    fields.update({f"closed:{k}": int(v) for k, v in _one_label(ORDERS_CLOSED).items()})
    fields.update({f"buylat:{le:g}": int(n) for le, n in histogram_buckets(LATENCY.labels(BUY_ROUTE, "POST"))})
    return fields


class SharedCounters:
    """Owner of the push task; ``start()``/``stop()`` bound its life."""

    def __init__(self, redis: aioredis.Redis, interval_s: float = 1.0) -> None:
        self._redis = redis
        self._interval = interval_s
        self._pushed: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._pushed = local_counters()  # what earlier apps of this process counted is not ours to add
        self._task = asyncio.create_task(self._run(), name="ops-shared-counters")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        try:
            async with asyncio.timeout(2):
                await self.push()
        except Exception as exc:  # noqa: BLE001 - Redis gone at shutdown: the last second is lost
            log.info("could not push the last counters: %r", exc)

    async def push(self) -> int:
        """Add what grew since the last push; returns the number of fields sent."""
        now = local_counters()
        delta = {k: v - self._pushed.get(k, 0) for k, v in now.items() if v != self._pushed.get(k, 0)}
        if not delta:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for k, d in delta.items():
                pipe.hincrby(COUNTERS_KEY, k, d)
            await pipe.execute()
        self._pushed.update({k: now[k] for k in delta})
        return len(delta)

    async def read(self) -> dict[str, int]:
        raw = await self._redis.hgetall(COUNTERS_KEY)
        return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.push()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis restarting: the deltas wait for the next push
                log.warning("ops counters push failed: %r", exc)
