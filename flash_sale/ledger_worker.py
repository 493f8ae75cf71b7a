"""The ledger worker: copies every sale's order events from Redis into the SQL ledger, durably.

Each pass reads a batch from every active sale's stream with the consumer group ``ledger``
(one XREADGROUP per stream, pipelined), folds it into one record per order, hands the records to
the sink in one transaction and only then acknowledges the entries. A crash between the two
repeats the batch, which the sink absorbs (idempotent, forward-only upserts). Entries a dead
consumer left pending are reclaimed with XAUTOCLAIM once idle for ``claim_idle_ms``. Any number of
workers (one per process, consumer ``host:pid``) may run against the same streams. A hot sale has a
stream per bucket (layout.py); the worker reads them all, housekeeping stays per sale.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import prometheus_client
import redis.asyncio as aioredis
from aiohttp import web

from flash_sale._ledger_events import RecordSource
from flash_sale._stream_group import Entry, StreamGroup, members
from flash_sale.keys import ACTIVE_SALES
from flash_sale.layout import SaleLayout
from flash_sale.tasks import cancel_and_wait

__all__ = ["LEDGER_WORKER", "LedgerWorker", "OrderLedgerSink", "default_consumer_name"]

log = logging.getLogger(__name__)


class OrderLedgerSink(Protocol):
    """Where the orders go (the SQL ledger), declared by its consumer. ``record`` gets records as the
    scripts keep them (buy.lua; paid_ms/payment_ref/closed_ms once closed; plus ``host_id``, the sale's
    creator) and must write them in one transaction, idempotently, never moving a status backwards."""

    async def record(self, orders: Sequence[Mapping[str, Any]]) -> None: ...


def default_consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class LedgerWorker:
    """Owner of the consumer task; ``start()``/``stop()`` bound its life. ``drain()`` runs it to zero lag."""

    def __init__(
        self,
        client: aioredis.Redis,
        sink: OrderLedgerSink,
        *,
        on_housekeeping: Callable[[str, Callable[[], Awaitable[bool]]], Awaitable[Any]] | None = None,
        consumer: str | None = None,
        batch: int = 1000,
        idle_s: float = 0.05,
        claim_idle_ms: int = 5000,
        housekeeping_s: float = 1.0,
        registry: prometheus_client.CollectorRegistry | None = None,
    ) -> None:
        self.group = StreamGroup(client, consumer or default_consumer_name())
        self._client, self._sink, self._on_housekeeping = client, sink, on_housekeeping
        self._batch, self._idle_s, self._claim_idle_ms = batch, idle_s, claim_idle_ms
        self._housekeeping_s, self._registry = housekeeping_s, registry
        self._gauge: prometheus_client.Gauge | None = None
        self._source = RecordSource(client)
        self._layout = SaleLayout(client)
        self._replay_own = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.recorded = self.reclaimed = self.lag = 0

    async def start(self) -> None:
        if self._registry is not None:
            try:
                self._gauge = prometheus_client.Gauge(
                    "lc_ledger_lag", "Stream entries of active sales the ledger has not acknowledged yet",
                    registry=self._registry)
            except ValueError:  # another worker of this process exports it already
                log.warning("lc_ledger_lag is already registered; this worker does not export it")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="ledger-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._stopping = True  # redis-py may turn the cancellation into a ConnectionError: the loop checks
        await cancel_and_wait(task)
        if self._gauge is not None and self._registry is not None:
            self._registry.unregister(self._gauge)
            self._gauge = None
        try:
            async with asyncio.timeout(2):
                for sale_id in await self._layout.expand(await self.active_sales()):
                    await self.group.retire(sale_id)
        except Exception as exc:  # noqa: BLE001 - best effort: a leftover consumer name is harmless
            log.info("ledger worker could not remove its consumer: %r", exc)

    async def _run(self) -> None:
        failures = 0
        next_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                n = await self.step()
                if loop.time() >= next_housekeeping:
                    next_housekeeping = loop.time() + self._housekeeping_s
                    n += await self.housekeeping()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis or the database is down: retry, never die
                task = asyncio.current_task()
                if self._stopping or (task is not None and task.cancelling()):
                    return  # a cancellation a driver turned into its own error (redis-py 8 does)
                failures += 1
                self._replay_own = True
                log.warning("ledger pass failed (%d in a row): %r", failures, exc)
                await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                continue
            if n == 0:
                await asyncio.sleep(self._idle_s)

    async def active_sales(self) -> list[str]:
        return await members(self._client, ACTIVE_SALES)

    async def step(self, sale_ids: Sequence[str] | None = None) -> int:
        """Read, record and acknowledge one batch per sale; returns the number of entries handled."""
        sales = await self._layout.expand(sale_ids if sale_ids is not None else await self.active_sales())
        if not sales:
            return 0
        if self._replay_own:  # after a failure: first what this consumer read but never acknowledged
            got = await self.group.read(sales, self._batch, own_pending=True)
            if got:
                return await self._apply(got)
            self._replay_own = False
        return await self._apply(await self.group.read(sales, self._batch))

    async def reclaim(self, sale_ids: Iterable[str], min_idle_ms: int | None = None) -> int:
        """Take over and record what dead (or stuck) consumers left pending."""
        idle = self._claim_idle_ms if min_idle_ms is None else min_idle_ms
        total = 0
        for sale_id in await self._layout.expand(sale_ids):
            start = "0-0"
            while True:
                start, entries = await self.group.claim(sale_id, idle, self._batch, start)
                if entries:
                    total += await self._apply({sale_id: entries})
                if start in ("0-0", "0"):
                    break
        self.reclaimed += total
        return total

    async def backlog(self, sale_ids: Iterable[str]) -> dict[str, int]:
        """Unacknowledged entries per stream (a hot sale's buckets each have one)."""
        return {s: await self.group.backlog(s) for s in await self._layout.expand(sale_ids)}

    async def housekeeping(self) -> int:
        """Reclaim, refresh the lag gauge, and let the owner act on each sale (settlement)."""
        sales = await self.active_sales()
        n = await self.reclaim(sales)
        backlog = await self.backlog(sales)
        self.lag = sum(backlog.values())
        if self._gauge is not None:
            self._gauge.set(self.lag)
        for sale_id in sales:
            try:
                if self._on_housekeeping is not None:
                    await self._on_housekeeping(sale_id, functools.partial(self._drained, sale_id))
            except Exception as exc:  # noqa: BLE001 - one sale's trouble must not stall the others
                log.warning("housekeeping of sale %s failed: %r", sale_id, exc)
        return n

    async def _drained(self, sale_id: str) -> bool:
        return sum((await self.backlog([sale_id])).values()) == 0

    async def drain(self, sale_ids: Sequence[str] | None = None, timeout_s: float = 10.0,
                    claim_idle_ms: int = 1000) -> bool:
        """Consume until the group has acknowledged everything of these sales (True), or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            sales = list(sale_ids) if sale_ids is not None else await self.active_sales()
            while await self.step(sales):
                pass
            await self.reclaim(sales, claim_idle_ms)
            if sum((await self.backlog(sales)).values()) == 0:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def _apply(self, got: dict[str, list[Entry]]) -> int:
        """Fold, fetch what the entries lack, record in one transaction, then acknowledge."""
        records: list[dict[str, Any]] = []
        for sale_id, entries in got.items():
            records += await self._source.records(sale_id, [fields for _, fields in entries])
        if records:
            await self._sink.record(records)
        await self.group.ack({s: [eid for eid, _ in entries] for s, entries in got.items()})
        self.recorded += len(records)
        return sum(len(e) for e in got.values())


LEDGER_WORKER = web.AppKey("ledger_worker", LedgerWorker)
